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

/** The trigger loaded afresh with its modules, as in a new n8n process: nothing remembered in memory. */
async function restartedTriggerNode(): Promise<typeof MidjourneyEditsTrigger> {
	let loaded: typeof MidjourneyEditsTrigger | undefined;
	await jest.isolateModulesAsync(async () => {
		({ MidjourneyEditsTrigger: loaded } = await import('../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node'));
	});
	return loaded!;
}
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

	it('near-simultaneous repeats start one execution, even when each request reads its own copy of the saved data', async () => {
		// n8n loads the workflow's static data per request: two requests in flight do not see each
		// other's writes there, only this process's memory can tell them apart.
		const body = successBody();
		const results = await Promise.all([0, 1, 2].map(() => call(body, signedQuery(), {}, {})));
		expect(results.filter((result) => result.workflowData !== undefined)).toHaveLength(1);
		expect(results.filter((result) => result.responseStatus === 200 && (result.responseBody as IDataObject)?.duplicate === true)).toHaveLength(2);
	});

	it('after a restart (fresh process memory, the same saved static data) a repeat of a remembered task starts nothing', async () => {
		const staticData: IDataObject = {};
		const body = successBody();
		expect((await call(body, signedQuery(), {}, staticData)).workflowData).toBeDefined();
		// A fresh copy of the node's modules: nothing of the first "process" is left in memory.
		const Restarted = await restartedTriggerNode();
		expect(Restarted).not.toBe(MidjourneyEditsTrigger);
		const callRestarted = async (taskBody: IDataObject) =>
			await callTriggerWebhook(Restarted, { events: 'both' }, { body: taskBody, query: signedQuery() }, {
				credentials: credentialsFor(fake),
				staticData: JSON.parse(JSON.stringify(staticData)) as IDataObject,
			});
		const replay = await callRestarted(body);
		expect(replay.workflowData).toBeUndefined();
		expect(replay.responseBody).toEqual({ received: true, duplicate: true });
		// The restarted process still starts executions for tasks it has not seen.
		expect((await callRestarted(successBody())).workflowData).toBeDefined();
	});

	it('remembers a bounded number of tasks in static data, the newest last', async () => {
		const staticData: IDataObject = {};
		const ids = Array.from({ length: MAX_REMEMBERED_TASKS + 20 }, () => uniqueTaskId());
		for (const id of ids) await call(successBody(id), {}, { options: { verifySignature: false } }, staticData);
		const remembered = staticData.node_Trigger ?? Object.values(staticData)[0];
		const list = (remembered as IDataObject).recentTaskIds as string[];
		expect(list).toHaveLength(MAX_REMEMBERED_TASKS);
		expect(list.at(-1)).toBe(ids.at(-1));
		expect(list[0]).toBe(ids[20]);
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
		await waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 30_000);
		const body = fake.tasks.get(taskId)!.record.response;
		const result = await call(body, signedQuery(), { options: { downloadImages: 'grid' } });
		const [item] = result.workflowData![0];
		expect(item.binary?.data).toMatchObject({ fileName: `${taskId}.png`, mimeType: 'image/png' });
	});

	it('keeps the remembered tasks when the workflow is deactivated and activated again', async () => {
		// n8n calls the webhook lifecycle on (de)activation; nothing there may forget what was seen.
		const staticData: IDataObject = {};
		const body = successBody();
		expect((await call(body, signedQuery(), {}, staticData)).workflowData).toBeDefined();
		for (const method of ['delete', 'checkExists', 'create'] as const) {
			await callWebhookMethod(MidjourneyEditsTrigger, { events: 'both' }, method, { credentials: credentialsFor(fake), staticData });
		}
		const replay = await callTriggerWebhook(await restartedTriggerNode(), { events: 'both' }, { body, query: signedQuery() }, {
			credentials: credentialsFor(fake),
			staticData,
		});
		expect(replay.responseBody).toEqual({ received: true, duplicate: true });
	});
});
