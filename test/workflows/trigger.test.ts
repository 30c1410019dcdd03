/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/** The Midjourney Edits Trigger's webhook: signature checks, duplicates, outcomes, downloads. */
import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import { MAX_REMEMBERED_TASKS } from '../../nodes/shared/seenTasks';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { callTriggerWebhook, callWebhookMethod, DEFAULT_TRIGGER_WEBHOOK_ID, getHarnessBaseUrl } from '../harness';
import http from 'http';
import type { AddressInfo } from 'net';
import type { IDataObject } from 'n8n-workflow';
import { credentialsFor, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;
beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 100, validTokens: [TOKEN] });
});
afterAll(async () => await fake.close());

/** The trigger's own production URL in the harness (signatures are bound to scheme, host and path). */
let TRIGGER_URL = '';
beforeAll(async () => {
	TRIGGER_URL = `${await getHarnessBaseUrl()}/webhook/${DEFAULT_TRIGGER_WEBHOOK_ID}/callback`;
});

/** The trigger loaded afresh with its modules, as in a new n8n process: nothing remembered in memory. */
async function restartedTriggerNode(): Promise<typeof MidjourneyEditsTrigger> {
	let loaded: typeof MidjourneyEditsTrigger | undefined;
	await jest.isolateModulesAsync(async () => {
		({ MidjourneyEditsTrigger: loaded } = await import('../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node'));
	});
	return loaded!;
}

function signedQuery(token = TOKEN, url = TRIGGER_URL, now?: number): Record<string, string> {
	return Object.fromEntries(new URL(signCallbackUrl(url, token, now)).searchParams.entries());
}

/** A task the fake API knows, finished as asked ('running' leaves it unfinished). */
async function taskOnFake(outcome: 'success' | 'failure' | 'running' = 'success', splitImages = true): Promise<string> {
	fake.faults.neverFinish = true;
	const submit = await fetch(`${fake.url}/midjourney/edits`, {
		method: 'POST',
		headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify({ action: 'generate', image_url: 'https://x.test/a.png', prompt: 'p', async: true, split_images: splitImages }),
	});
	const { task_id: taskId } = (await submit.json()) as { task_id: string };
	if (outcome !== 'running') fake.finishTask(taskId, outcome);
	return taskId;
}

/** What the API's callback for a finished task says: the record's response. */
function callbackBodyOf(taskId: string): IDataObject {
	return fake.tasks.get(taskId)!.record.response as unknown as IDataObject;
}

async function successBody(): Promise<IDataObject> {
	return callbackBodyOf(await taskOnFake());
}

async function call(body: unknown, query: Record<string, string>, parameters: IDataObject = {}, staticData: IDataObject = {}) {
	return await callTriggerWebhook(MidjourneyEditsTrigger, { events: 'both', ...parameters }, { body, query }, {
		credentials: credentialsFor(fake),
		staticData,
	});
}

describe('Midjourney Edits Trigger', () => {
	it('starts the workflow with the callback fields for a signed callback', async () => {
		const body = await successBody();
		const result = await call(body, signedQuery());
		expect(result.workflowData).toHaveLength(1);
		const [item] = result.workflowData![0];
		expect(item.json).toMatchObject({ task_id: body.task_id, success: true, image_url: body.image_url });
		expect(item.json.sub_image_urls).toHaveLength(4);
		expect(Object.keys(item.json).some((key) => key.startsWith('mj_'))).toBe(false);
		expect(result.requestedCredentialTypes).toContain('aceDataCloudApi');
	});

	it('answers 401 to an unsigned callback and starts nothing', async () => {
		const result = await call(await successBody(), {});
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
			const result = await call(await successBody(), query);
			expect(result.responseStatus).toBe(403);
			expect(result.workflowData).toBeUndefined();
		}
	});

	it('accepts unsigned callbacks when verification is turned off', async () => {
		const result = await call(await successBody(), {}, { options: { verifySignature: false } });
		expect(result.workflowData?.[0]).toHaveLength(1);
	});

	it('starts one execution per task, however often the callback repeats', async () => {
		const staticData: IDataObject = {};
		const body = await successBody();
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
		const body = await successBody();
		const results = await Promise.all([0, 1, 2].map(() => call(body, signedQuery(), {}, {})));
		expect(results.filter((result) => result.workflowData !== undefined)).toHaveLength(1);
		expect(results.filter((result) => result.responseStatus === 200 && (result.responseBody as IDataObject)?.duplicate === true)).toHaveLength(2);
	});

	it('after a restart (fresh process memory, the same saved static data) a repeat of a remembered task starts nothing', async () => {
		const staticData: IDataObject = {};
		const body = await successBody();
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
		expect((await callRestarted(await successBody())).workflowData).toBeDefined();
	});

	it('remembers a bounded number of tasks in static data, the newest last', async () => {
		const staticData: IDataObject = {};
		const ids: string[] = [];
		for (let count = 0; count < MAX_REMEMBERED_TASKS + 20; count++) ids.push(await taskOnFake('success', false));
		for (const id of ids) await call({ task_id: id }, {}, { options: { verifySignature: false } }, staticData);
		const remembered = staticData.node_Trigger ?? Object.values(staticData)[0];
		const list = (remembered as IDataObject).recentTaskIds as string[];
		expect(list).toHaveLength(MAX_REMEMBERED_TASKS);
		expect(list.at(-1)).toBe(ids.at(-1));
		expect(list[0]).toBe(ids[20]);
	}, 60_000);

	it('filters by outcome', async () => {
		const failure = callbackBodyOf(await taskOnFake('failure'));
		const skipped = await call(failure, signedQuery(), { events: 'succeeded' });
		expect(skipped.workflowData).toBeUndefined();
		expect(skipped.responseStatus).toBe(200);
		const failure2 = callbackBodyOf(await taskOnFake('failure'));
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
		const taskId = await taskOnFake();
		const body = callbackBodyOf(taskId);
		const result = await call(body, signedQuery(), { output: 'grid' });
		const [item] = result.workflowData![0];
		expect(item.binary?.data).toMatchObject({ fileName: `${taskId}.png`, mimeType: 'image/png' });
	});

	describe('a callback is a claim: the task record is the result', () => {
		const attacker = (taskId: string) => ({ task_id: taskId, success: true, image_url: 'https://attacker.example/x.png' });
		const lookups = () => fake.count('POST', '/midjourney/tasks');

		it.each([true, false])('a forged success for a running task starts nothing (verify signature %s); once finished, the output holds the API\'s links', async (verifySignature) => {
			const query = verifySignature ? signedQuery() : {};
			const parameters = { options: { verifySignature } };
			const staticData: IDataObject = {};
			const taskId = await taskOnFake('running');
			const early = await call(attacker(taskId), query, parameters, staticData);
			expect(early.workflowData).toBeUndefined();
			expect(early.responseStatus).toBe(200);

			fake.finishTask(taskId, 'success');
			const later = await call(attacker(taskId), query, parameters, staticData);
			const [item] = later.workflowData![0];
			expect(item.json.image_url).toBe(callbackBodyOf(taskId).image_url);
			expect(JSON.stringify(later.workflowData)).not.toContain('attacker');
		});

		it('downloads only the links of the API record: a posted internal URL is never requested, at most 4 split images', async () => {
			const internalRequests: string[] = [];
			const internal = http.createServer((req, res) => {
				internalRequests.push(req.url ?? '');
				res.end('secret');
			});
			await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
			try {
				const internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/latest/meta-data`;
				const taskId = await taskOnFake();
				const record = fake.tasks.get(taskId)!.record.response as unknown as IDataObject;
				// A record naming more split images than a grid has.
				record.sub_image_urls = Array.from({ length: 40 }, (_, index) => (record.sub_image_urls as string[])[index % 4]);
				const downloadsBefore = fake.count('GET', /^\/results\//);
				const result = await call(
					{ task_id: taskId, success: true, image_url: internalUrl, sub_image_urls: Array(40).fill(internalUrl) },
					signedQuery(),
					{ output: 'split' },
				);
				const items = result.workflowData![0];
				expect(items).toHaveLength(4);
				expect(items.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
				expect(fake.count('GET', /^\/results\//) - downloadsBefore).toBe(4);
				expect(internalRequests).toHaveLength(0);
			} finally {
				internal.close();
			}
		});

		it('a task the API does not know starts nothing and is not remembered', async () => {
			const staticData: IDataObject = {};
			const result = await call(attacker('00000000-0000-4000-8000-000000000000'), signedQuery(), {}, staticData);
			expect(result.workflowData).toBeUndefined();
			expect(result.responseStatus).toBe(200);
			expect(JSON.stringify(staticData)).not.toContain('00000000-0000-4000-8000-000000000000');
		});

		it('a failed lookup answers 503 and starts nothing; the same callback works once the API answers', async () => {
			const body = await successBody();
			fake.faults.tasksServerError = 2;
			const refused = await call(body, signedQuery());
			expect(refused.responseStatus).toBe(503);
			expect(refused.workflowData).toBeUndefined();
			const accepted = await call(body, signedQuery());
			expect(accepted.workflowData?.[0]).toHaveLength(1);
		});

		it.each([
			['a 5 MB task_id', 'x'.repeat(5 * 1024 * 1024)],
			['a task_id with a path', '../../etc/passwd'],
			['a numeric task_id', 12345],
		])('answers 400 to %s before storing, naming or looking anything up', async (_case, taskId) => {
			const staticData: IDataObject = {};
			const before = lookups();
			const result = await call({ task_id: taskId, success: true }, signedQuery(), { output: 'grid' }, staticData);
			expect(result.responseStatus).toBe(400);
			expect(result.workflowData).toBeUndefined();
			expect(lookups()).toBe(before);
			expect(staticData).toEqual({});
			expect(JSON.stringify(result.responseBody).length).toBeLessThan(200);
		});
	});

	it('a Max Callback Age that is not a number keeps the default (48 h) instead of turning expiry off', async () => {
		const expired = signedQuery(TOKEN, TRIGGER_URL, Date.now() - 49 * 3600_000);
		const result = await call(await successBody(), expired, { options: { maxCallbackAgeHours: 'soon' } });
		expect(result.responseStatus).toBe(403);
		expect(result.workflowData).toBeUndefined();
	});

	it('keeps the remembered tasks when the workflow is deactivated and activated again', async () => {
		// n8n calls the webhook lifecycle on (de)activation; nothing there may forget what was seen.
		const staticData: IDataObject = {};
		const body = await successBody();
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
