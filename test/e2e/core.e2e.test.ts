/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The packed package inside a real n8n 2.41.1 (issue 3): installed from its tarball into
 * `.n8n/nodes` as a user does, driven through webhooks, the public API and the editor's endpoints,
 * talking over loopback to the fake Ace Data Cloud API running in this jest process. The core cases
 * (coreCases.ts) run here and on n8n 1.x (compat-1x.e2e.test.ts); the sandbox example is 2.x's own.
 */
import { describeCoreCases } from './coreCases';
import { loadFixture, nodeOutput } from './n8nInstance';

describeCoreCases(
	'the packed package inside a real n8n',
	{ label: '2x', badToken: 'e2e-wrong-token-5f1c9a7d3b' },
	(context) => {
		describe('the sandbox example workflow (npm run sandbox)', () => {
			it('runs from its Manual Trigger and produces an edit', async () => {
				const { n8n, goodCredential } = context;
				const workflow = await n8n.createWorkflow(
					loadFixture('sandbox-example', { CREDENTIAL_ID: goodCredential.id, CREDENTIAL_NAME: goodCredential.name }),
				);
				const executionId = await n8n.runManually(workflow.id, "When clicking 'Execute workflow'");
				const execution = await n8n.waitForExecutionToFinish(executionId, 60_000);
				expect(execution.status).toBe('success');
				const [edit] = nodeOutput(execution, 'Edit Image');
				expect(edit).toEqual(expect.objectContaining({ success: true, image_url: expect.any(String) }));
				expect(edit.sub_image_urls).toHaveLength(4);
			});
		});
	},
);
