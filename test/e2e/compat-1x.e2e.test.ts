/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The packed package inside n8n 1.x (issue 8): the 1.123 LTS line on this machine's own Node 20
 * (scripts/provision-n8n.sh with N8N_VERSION=1.x). The core cases (coreCases.ts: the package loads,
 * poll mode, "Don't Wait" plus the trigger, "Wait for Callback" with several items, an invalid token,
 * the credential test), shared with
 * core.e2e.test.ts, and the other features of the README's compatibility table: "Wait for Callback"
 * (signed by the node, since 1.x does not sign resume URLs), binary input and output.
 * Queue mode on 1.x is queue.e2e.test.ts with E2E_QUEUE_N8N_VERSION=1x.
 *
 * Run alone: `npm run test:e2e:compat` (both). N8N_1X_VERSION picks another 1.x (default 1.123.81,
 * the newest 1.123 patch on the registry when this was written).
 */
import { randomUUID } from 'crypto';

import { SIGNATURE_PARAMS } from '../../nodes/shared/callbackSignature';
import { encodeRgbPng } from '../fake-api/pngs';
import { describeCoreCases, SOURCE_IMAGE } from './coreCases';
import { loadFixture, nodeOutput, type N8nExecution } from './n8nInstance';
import { N8N_1X_VERSION } from './n8nVersions';
import { provisionN8n } from './packageUnderTest';
import { postJson, untilWaiting } from './support';

describeCoreCases(
	`the packed package inside n8n ${N8N_1X_VERSION} (Node 20)`,
	{ n8nVersion: N8N_1X_VERSION, label: '1x', badToken: 'e2e-wrong-token-1x-8e4b2a6c' },
	(context) => {
		it(`is really n8n ${N8N_1X_VERSION}, on this machine's Node 20`, async () => {
			const { n8n } = context;
			const settings = await n8n.rest<{ versionCli?: string }>('GET', '/settings');
			expect(settings.versionCli).toBe(N8N_1X_VERSION);
			const provisioned = await provisionN8n(N8N_1X_VERSION);
			expect(provisioned.nodeVersion).toMatch(/^20\./);
			expect(provisioned.nodeVersion).toBe(process.versions.node);
		});

		it('"Wait for Callback": the execution waits, and the API\'s callback to its resume URL resumes it', async () => {
			const { fake, n8n, goodCredential } = context;
			fake.faults.callbackMode = 'never';
			const webhookPath = `mj1x-callback-${randomUUID().slice(0, 8)}`;
			const workflow = await n8n.deployWorkflow(
				loadFixture('queue-edit', {
					WEBHOOK_ID: randomUUID(),
					WEBHOOK_PATH: webhookPath,
					RESPONSE_MODE: 'onReceived',
					RESPONSE_DATA: 'allEntries',
					WAIT_MODE: 'callback',
					OUTPUT: 'links',
					CREDENTIAL_ID: goodCredential.id,
					CREDENTIAL_NAME: goodCredential.name,
				}),
			);

			const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'add a red hat' });
			expect(response.status).toBe(200);

			const task = await fake.waitFor(() => [...fake.tasks.values()][0], 30_000);
			const resumeUrl = new URL(task.callbackUrl ?? '');
			expect(`${resumeUrl.origin}${resumeUrl.pathname}`).toMatch(new RegExp(`^${n8n.baseUrl}/webhook-waiting/\\d+$`));
			// n8n 1.x does not sign resume URLs, and its execution ids are sequential: the node signs the
			// URL itself (README, Compatibility), so guessing the bare URL resumes nothing.
			expect(resumeUrl.searchParams.has('signature')).toBe(false);
			expect(resumeUrl.searchParams.get(SIGNATURE_PARAMS.signature)).toMatch(/^[0-9a-f]{64}$/);
			const executionId = resumeUrl.pathname.split('/').pop()!;
			const bareUrl = `${resumeUrl.origin}${resumeUrl.pathname}`;
			await untilWaiting(n8n, executionId);
			const forged = { task_id: task.id, success: true, image_url: 'https://attacker.example/x.png' };
			expect((await postJson(bareUrl, forged)).status).toBe(401);
			expect((await postJson(`${bareUrl}?signature=anything`, forged)).status).toBe(401);
			expect((await n8n.getExecution(executionId, false)).status).toBe('waiting');

			await fake.waitFor(() => task.state === 'succeeded', 30_000);
			const delivery = await fake.deliverCallback(task.id);
			expect(delivery.status).toBe(200);
			// n8n 1.x briefly shows a resuming execution as finished before the resumed run is saved: wait
			// for the edit node's run itself.
			const execution = await n8n.waitForExecution(
				(candidate) => candidate.id === executionId && candidate.status === 'success' && hasRun(candidate, 'Midjourney Edits'),
				{ workflowId: workflow.id, timeoutMs: 60_000 },
			);
			expect(nodeOutput(execution, 'Midjourney Edits')[0]).toEqual(
				expect.objectContaining({ task_id: task.id, success: true, image_url: expect.any(String) }),
			);
			// The callback woke the execution; one lookup of the record gave the result.
			expect(fake.count('POST', '/midjourney/tasks')).toBe(1);
		});

		it('binary in and out: uploads a file made in the workflow, and downloads the four split images', async () => {
			const { fake, n8n, goodCredential, items } = context;
			const webhookPath = `mj1x-files-${randomUUID().slice(0, 8)}`;
			const workflow = await n8n.deployWorkflow(
				loadFixture('binary-in-split-out', {
					WEBHOOK_ID: randomUUID(),
					WEBHOOK_PATH: webhookPath,
					RESPONSE_DATA: 'allEntries',
					CREDENTIAL_ID: goodCredential.id,
					CREDENTIAL_NAME: goodCredential.name,
				}),
			);
			const photo = encodeRgbPng(8, 8, (x, y) => [x * 30, y * 30, 128]);

			const response = await n8n.callWebhook(webhookPath, { pngBase64: photo.toString('base64') });

			expect(response.status).toBe(200);
			expect(items(response).map((item) => item.quarter)).toEqual([1, 2, 3, 4]);
			// The uploaded input is the file the workflow made.
			expect([...fake.uploads.values()].map((upload) => upload.bytes.equals(photo))).toEqual([true]);
			expect(fake.tasks.size).toBe(1);
			const [task] = [...fake.tasks.values()];
			expect(task.record.request.image_url).toMatch(/\/uploads\//);

			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId: workflow.id });
			const runs = execution.data!.resultData.runData['Midjourney Edits'];
			const output = runs[runs.length - 1].data!.main![0]! as Array<{
				json: Record<string, unknown>;
				binary?: Record<string, { fileName?: string; mimeType?: string; data?: string; id?: string }>;
			}>;
			expect(output.map((item) => item.binary?.data?.fileName)).toEqual([1, 2, 3, 4].map((quarter) => `${task.id}_${quarter}.png`));
			// n8n 1.x keeps binary data in the execution (its default, in-memory mode): the files are the four images.
			const subImageUrls = (task.record.response as { sub_image_urls: string[] }).sub_image_urls;
			for (const [index, item] of output.entries()) {
				const original = Buffer.from(await (await fetch(subImageUrls[index])).arrayBuffer());
				expect(item.binary?.data?.mimeType).toBe('image/png');
				expect(Buffer.from(item.binary?.data?.data ?? '', 'base64').equals(original)).toBe(true);
			}
		});
	},
);

function hasRun(execution: N8nExecution, nodeName: string): boolean {
	return (execution.data?.resultData.runData[nodeName]?.length ?? 0) > 0;
}
