/** The Midjourney Edits Trigger's webhook: signature checks, duplicates, outcomes, downloads. */
import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import { MAX_REMEMBERED_TASKS } from '../../nodes/shared/seenTasks';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { callTriggerWebhook, callWebhookMethod, DEFAULT_TRIGGER_WEBHOOK_ID } from '../harness';
import type { IDataObject } from 'n8n-workflow';
import { loadExample } from '../support/examples';
import { credentialsFor, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;
beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 100, validTokens: [TOKEN] });
});
afterAll(async () => await fake.close());

const TRIGGER_URL = `https://n8n.example.test/webhook/${DEFAULT_TRIGGER_WEBHOOK_ID}/callback`;
let counter = 0;
const uniqueTaskId = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}-${Date.now()}`;

function signedQuery(token = TOKEN, url = TRIGGER_URL, now?: number): Record<string, string> {
	return Object.fromEntries(new URL(signCallbackUrl(url, token, now)).searchParams.entries());
}

function successBody(taskId = uniqueTaskId()): IDataObject {
	return { ...loadExample('callback-success.json'), task_id: taskId };
}

async function call(body: unknown, query: Record<string, string>, parameters: IDataObject = {}, staticData: IDataObject = {}) {
	return await callTriggerWebhook(MidjourneyEditsTrigger, { events: 'both', ...parameters }, { body, query }, {
		credentials: credentialsFor(fake),
		staticData,
	});
}

describe('Midjourney Edits Trigger', () => {
	it('starts the workflow with the callback fields for a signed callback', async () => {
		const body = successBody();
		const result = await call(body, signedQuery());
		expect(result.workflowData).toHaveLength(1);
		const [item] = result.workflowData![0];
		expect(item.json).toMatchObject({ task_id: body.task_id, success: true, image_url: body.image_url });
		expect(item.json.sub_image_urls).toHaveLength(4);
		expect(Object.keys(item.json).some((key) => key.startsWith('mj_'))).toBe(false);
		expect(result.requestedCredentialTypes).toContain('aceDataCloudApi');
	});

	it('answers 401 to an unsigned callback and starts nothing', async () => {
		const result = await call(successBody(), {});
		expect(result.responseStatus).toBe(401);
		expect(result.workflowData).toBeUndefined();
		expect(JSON.stringify(result.responseBody)).not.toMatch(/token|stack|Error:/i);
	});

	it('answers 403 to a tampered, foreign or expired signature and starts nothing', async () => {
		const tampered = signedQuery();
		tampered.mj_sig = tampered.mj_sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
		const foreign = signedQuery('another-accounts-token');
		const otherTrigger = signedQuery(TOKEN, TRIGGER_URL.replace(DEFAULT_TRIGGER_WEBHOOK_ID, 'other-trigger-id'));
		const expired = signedQuery(TOKEN, TRIGGER_URL, Date.now() - 49 * 3600_000);
		for (const query of [tampered, foreign, otherTrigger, expired]) {
			const result = await call(successBody(), query);
			expect(result.responseStatus).toBe(403);
			expect(result.workflowData).toBeUndefined();
		}
	});

	it('accepts unsigned callbacks when verification is turned off', async () => {
		const result = await call(successBody(), {}, { options: { verifySignature: false } });
		expect(result.workflowData?.[0]).toHaveLength(1);
	});

	it('starts one execution per task, however often the callback repeats', async () => {
		const staticData: IDataObject = {};
		const body = successBody();
		const first = await call(body, signedQuery(), {}, staticData);
		const second = await call(body, signedQuery(), {}, staticData);
		expect(first.workflowData).toBeDefined();
		expect(second.workflowData).toBeUndefined();
		expect(second.responseStatus).toBe(200);
		expect(second.responseBody).toEqual({ received: true, duplicate: true });
	});

	it('remembers repeats across restarts through static data, bounded in size', async () => {
		const staticData: IDataObject = {};
		const ids = Array.from({ length: MAX_REMEMBERED_TASKS + 20 }, () => uniqueTaskId());
		for (const id of ids) await call(successBody(id), {}, { options: { verifySignature: false } }, staticData);
		const remembered = staticData.node_Trigger ?? Object.values(staticData)[0];
		const list = (remembered as IDataObject).recentTaskIds as string[];
		expect(list).toHaveLength(MAX_REMEMBERED_TASKS);
		expect(list.at(-1)).toBe(ids.at(-1));
	}, 60_000);

	it('filters by outcome', async () => {
		const failure = { ...loadExample('callback-failure.assumed.json'), task_id: uniqueTaskId() };
		const skipped = await call(failure, signedQuery(), { events: 'succeeded' });
		expect(skipped.workflowData).toBeUndefined();
		expect(skipped.responseStatus).toBe(200);
		const failure2 = { ...failure, task_id: uniqueTaskId() };
		const started = await call(failure2, signedQuery(), { events: 'failed' });
		expect(started.workflowData![0][0].json).toMatchObject({ success: false, error: expect.stringMatching(/moderation/) });
	});

	it.each([
		['a body without task_id', { success: true }],
		['a text body', 'not json at all'],
		['an array', [1, 2]],
	])('answers 400 to %s', async (_case, body) => {
		const result = await call(body, signedQuery());
		expect(result.responseStatus).toBe(400);
		expect(result.workflowData).toBeUndefined();
	});

	it('downloads the grid with the same naming as the action node', async () => {
		const waitFor = fake.waitFor.bind(fake);
		const submit = await fetch(`${fake.url}/midjourney/edits`, {
			method: 'POST',
			headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
			body: JSON.stringify({ action: 'generate', image_url: 'https://x.test/a.png', prompt: 'p', async: true }),
		});
		const { task_id: taskId } = (await submit.json()) as { task_id: string };
		await waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 3000);
		const body = fake.tasks.get(taskId)!.record.response;
		const result = await call(body, signedQuery(), { options: { downloadImages: 'grid' } });
		const [item] = result.workflowData![0];
		expect(item.binary?.data).toMatchObject({ fileName: `${taskId}.png`, mimeType: 'image/png' });
	});

	it('has a complete webhook lifecycle', async () => {
		for (const method of ['checkExists', 'create', 'delete'] as const) {
			const { returned } = await callWebhookMethod(MidjourneyEditsTrigger, { events: 'both' }, method, {
				credentials: credentialsFor(fake),
			});
			expect(returned).toBe(true);
		}
	});
});
