/**
 * Issue 13: the core journeys (poll an edit, Task Get / Get Many, a binary upload edit) under each
 * reading of the vendor's material that the fake can switch on, plus the behaviours each reading
 * needs: a failed state ends the wait, short pages are asked again, the platform token is used for
 * uploads only, the error table, 429 without Retry-After, progress callbacks.
 */
import type { INodeParameters } from 'n8n-workflow';

import type { FakeAceDataCloud, FakeFaults } from '../fake-api/fakeAceDataCloud';
import { DEFAULT_PLATFORM_TOKEN, startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng } from '../fake-api/pngs';
import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';
import { callTriggerWebhook, DEFAULT_TRIGGER_WEBHOOK_ID, getHarnessBaseUrl, runWorkflow, waitForResumedRun } from '../harness';
import { loadExample } from '../support/examples';
import type { WorkflowRunResult } from '../harness';
import { CAT, createEditTask, credentialsFor, fixture, NODE_TYPES, runEdit, tasksInEveryState, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 300, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const PHOTO = encodeRgbPng(8, 8, () => [90, 160, 220]);
const POLL_FAST = { options: { pollIntervalSeconds: 1 } };
const descriptionOf = (error: unknown) => String((error as { description?: string } | undefined)?.description ?? '');

/** Creates a task straight on the fake (async), as another workflow would have. */
const createTask = (prompt = CAT.prompt) => createEditTask(fake, prompt);

async function runLookup(parameters: INodeParameters, input = [{ json: {} }], platformToken?: string): Promise<WorkflowRunResult> {
	return await runWorkflow(fixture('task-lookup.workflow.json'), {
		nodeTypes: NODE_TYPES,
		credentials: credentialsFor(fake, TOKEN, platformToken),
		input,
		parameters: { 'Get Task': parameters },
	});
}

const apiRequests = () => fake.requests.filter((entry) => entry.path.startsWith('/midjourney/'));
const uploads = () => fake.requests.filter((entry) => entry.path.startsWith('/api/v1/files'));

// Each reading the fake can switch on. The journeys below must work under every one of them.
const READINGS: Array<[string, Partial<FakeFaults>]> = [
	['the documented shapes (defaults)', {}],
	['records with state and finished_at', { taskStates: true }],
	['running records with response.success false and progress', { taskStates: true, generatingResponse: true }],
	['success false while running, without state or finished_at', { generatingResponse: true }],
	['pages capped at 1 record whatever the limit', { tasksPageMax: 1 }],
	['unknown ids answered null', { unknownAsNull: true }],
	['a 429 without Retry-After on the first lookup', { tasksRateLimit: 1 }],
	['error bodies without success: false', { errorsWithoutSuccess: true }],
];

describe.each(READINGS)('core journeys with %s', (_reading, faults) => {
	beforeEach(() => Object.assign(fake.faults, faults));

	it('polls two edits to their results', async () => {
		const result = await runEdit(fake, [{ json: CAT }, { json: { ...CAT, prompt: 'a dog' } }], POLL_FAST);
		expect(result.error).toBeUndefined();
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => [item.json.success, item.json.progress])).toEqual([
			[true, 100],
			[true, 100],
		]);
		expect(new Set(output.map((item) => item.json.task_id))).toEqual(new Set(fake.tasks.keys()));
	});

	it('Task Get and Get Many tell finished, failed, running and unknown tasks apart', async () => {
		const { finished, failed, running } = await tasksInEveryState(fake);

		const many = await runLookup({ operation: 'getMany', taskIds: [finished, failed, running, 'no-such-task'].join(',') });
		expect(many.error).toBeUndefined();
		expect(many.nodeOutputs('Get Task').map((item) => item.json.status)).toEqual(['succeeded', 'failed', 'running', 'not_found']);

		const single = await runLookup({ operation: 'get' }, [{ json: { taskId: failed } }, { json: { taskId: running } }].map((item) => item));
		expect(single.error).toBeUndefined();
		expect(single.nodeOutputs('Get Task').map((item) => item.json.status)).toEqual(['failed', 'running']);
	});

	it('edits a binary image uploaded with the platform token', async () => {
		const result = await runEdit(
			fake,
			[{ json: { prompt: CAT.prompt }, binary: { data: { data: PHOTO, mimeType: 'image/png', fileName: 'photo.png' } } }],
			{ imageSource: 'binary', binaryPropertyName: 'data', ...POLL_FAST },
		);
		expect(result.error).toBeUndefined();
		expect(result.nodeOutputs('Midjourney Edits')[0].json).toMatchObject({ success: true, progress: 100 });
		expect(uploads().map((entry) => entry.tokenKind)).toEqual(['platform']);
		expect(apiRequests().every((entry) => entry.tokenKind === 'api')).toBe(true);
	});
});

describe('task status read as the vendor reads it', () => {
	it('a task whose record says state failed (no response) ends the wait at once, not at the timeout', async () => {
		Object.assign(fake.faults, { taskStates: true, failTasks: true });
		const result = await runEdit(fake, [{ json: CAT }], { options: { pollIntervalSeconds: 1, timeoutSeconds: 600 } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/could not finish the edit|refused the edit/);
		expect(result.error?.message).not.toMatch(/timed out|may still finish/i);
		// A handful of rounds at most, where waiting for the timeout would take hundreds.
		expect(fake.tasksRequestsFor('retrieve_batch').length).toBeLessThanOrEqual(5);
	});

	it('a running record with response.success false is waited for, not reported failed', async () => {
		Object.assign(fake.faults, { generatingResponse: true, jobDurationMs: 2500 });
		const result = await runEdit(fake, [{ json: CAT }], POLL_FAST);
		expect(result.error).toBeUndefined();
		expect(result.nodeOutputs('Midjourney Edits')[0].json).toMatchObject({ success: true, progress: 100 });
		// It was seen running (success false) at least once before it finished.
		expect(fake.tasksRequestsFor('retrieve_batch').length).toBeGreaterThanOrEqual(2);
	});
});

describe('pages', () => {
	it('asks again for the ids a short page left out instead of calling them unknown', async () => {
		const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => createTask(`task ${n}`)));
		await fake.waitFor(() => ids.every((id) => fake.tasks.get(id)!.state === 'succeeded'), 10_000);
		fake.faults.tasksPageMax = 2;
		const result = await runLookup({ operation: 'getMany', taskIds: ids.join('\n') });
		expect(result.nodeOutputs('Get Task').map((item) => item.json.status)).toEqual(ids.map(() => 'succeeded'));
		// 5 asked, 2 served: the 3 missing asked again in pages of 2 (the page it filled): no one-by-one.
		expect(fake.tasksRequestsFor('retrieve_batch').map((entry) => (entry.body as { ids: string[] }).ids.length)).toEqual([5, 2, 1]);
		expect(fake.tasksRequestsFor('retrieve')).toHaveLength(0);
	});

	it('falls back to the documented page of 12 when a bigger page is refused as invalid', async () => {
		const ids = await Promise.all(Array.from({ length: 14 }, (_, n) => createTask(`task ${n}`)));
		Object.assign(fake.faults, { tasksPageMax: 12, tasksPageOverMax: 'refuse' });
		const result = await runLookup({ operation: 'getMany', taskIds: ids.join(',') });
		expect(result.error).toBeUndefined();
		expect(result.nodeOutputs('Get Task')).toHaveLength(14);
		expect(result.nodeOutputs('Get Task').every((item) => item.json.status !== 'not_found')).toBe(true);
		expect(fake.tasksRequestsFor('retrieve_batch').map((entry) => (entry.body as { ids: string[] }).ids.length)).toEqual([14, 12, 2]);
	});

	it('asks a missing id once by itself before calling it unknown; null is unknown too', async () => {
		fake.faults.unknownAsNull = true;
		const known = await createTask();
		const result = await runLookup({ operation: 'getMany', taskIds: `${known},ghost` });
		expect(result.nodeOutputs('Get Task').map((item) => item.json.status)).toEqual(['running', 'not_found']);
		expect(fake.tasksRequestsFor('retrieve').map((entry) => (entry.body as { id: string }).id)).toEqual(['ghost']);
	});

	it('Task Get reads a null body as "no such task" at once, not as an unreadable answer after retries', async () => {
		fake.faults.unknownAsNull = true;
		const result = await runLookup({ operation: 'get' }, [{ json: { taskId: 'ghost' } }]);
		expect(result.error?.message).toBe("No task with ID 'ghost' [item 1]");
		expect(fake.tasksRequestsFor('retrieve')).toHaveLength(1);
	});

	it('a poll round of up to 50 tasks the API serves whole stays one request', async () => {
		const result = await runEdit(fake, [1, 2, 3].map((n) => ({ json: { ...CAT, prompt: `p${n}` } })), POLL_FAST);
		expect(result.error).toBeUndefined();
		const rounds = fake.tasksRequestsFor('retrieve_batch');
		expect(rounds.every((entry) => (entry.body as { ids: string[] }).ids.length === 3 || (entry.body as { ids: string[] }).ids.length < 3)).toBe(true);
		expect(fake.tasksRequestsFor('retrieve')).toHaveLength(0);
	});
});

describe('platform token for uploads', () => {
	const binaryEdit = (platformToken?: string) =>
		runWorkflow(fixture('edit-image.workflow.json'), {
			nodeTypes: NODE_TYPES,
			credentials: credentialsFor(fake, TOKEN, platformToken),
			input: [{ json: { prompt: CAT.prompt }, binary: { data: { data: PHOTO, mimeType: 'image/png' } } }],
			parameters: { 'Midjourney Edits': { imageSource: 'binary', binaryPropertyName: 'data', ...POLL_FAST } },
		});

	it('without a platform token: a clear error naming the field, before any request', async () => {
		const result = await binaryEdit('');
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/'Platform Token' in the Ace Data Cloud credential is empty: .* \[item 1\]$/);
		expect(descriptionOf(result.error)).toMatch(/platform-/);
		expect(fake.requests).toHaveLength(0);
	});

	it('URL input keeps working with a credential that has no platform token', async () => {
		const result = await runWorkflow(fixture('edit-image.workflow.json'), {
			nodeTypes: NODE_TYPES,
			credentials: { aceDataCloudApi: { apiToken: TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url } },
			input: [{ json: CAT }],
			parameters: { 'Midjourney Edits': POLL_FAST },
		});
		expect(result.error).toBeUndefined();
		expect(result.nodeOutputs('Midjourney Edits')[0].json.success).toBe(true);
	});

	it('sends the platform token to the upload only and the API token to the API only', async () => {
		const result = await binaryEdit(DEFAULT_PLATFORM_TOKEN);
		expect(result.error).toBeUndefined();
		expect(uploads().map((entry) => [entry.tokenKind, entry.authorized])).toEqual([['platform', true]]);
		expect(apiRequests().length).toBeGreaterThanOrEqual(2);
		expect(apiRequests().every((entry) => entry.tokenKind === 'api')).toBe(true);
		expect(JSON.stringify(result.runExecutionData)).not.toContain(DEFAULT_PLATFORM_TOKEN);
	});

	it('a platform token the platform refuses: says to check the platform token; nothing is submitted', async () => {
		const result = await binaryEdit('platform-revoked');
		expect(result.error?.message).toMatch(/Uploading the input image failed: .*rejected the Platform Token/);
		expect(descriptionOf(result.error)).toMatch(/'Platform Token'/);
		expect(fake.count('POST', '/midjourney/edits')).toBe(0);
		expect(JSON.stringify(result.runExecutionData)).not.toContain('platform-revoked');
	});
});

describe('errors from the contract table', () => {
	it.each<[string, number, RegExp, RegExp]>([
		['no_token', 400, /No token reached the Ace Data Cloud API/, /'API Token'/],
		['disabled', 400, /disabled/, /Enable the application or token/],
		['token_mismatched', 400, /does not match this service/, /'API Token'/],
		['token_expired', 401, /has expired/, /new token/],
		['invalid_token', 401, /rejected the API token/, /API Token/],
		['used_up', 403, /balance is used up/, /Top up/],
		['forbidden', 403, /content moderation/, /Reword the prompt/],
		['no_api', 404, /not enabled for this Ace Data Cloud application/, /acquire/],
	])('%s (HTTP %i) on submit, with or without success: false', async (code, status, message, hint) => {
		for (const errorsWithoutSuccess of [false, true]) {
			fake.reset();
			Object.assign(fake.faults, { apiErrors: 1, apiErrorCode: code, errorsWithoutSuccess });
			const result = await runEdit(fake, [{ json: CAT }], POLL_FAST);
			expect(result.status).toBe('error');
			expect(result.error?.message).toMatch(message);
			expect(descriptionOf(result.error)).toMatch(hint);
			expect(descriptionOf(result.error)).not.toMatch(/Check the node's fields/);
			expect(descriptionOf(result.error)).not.toMatch(/every (Ace Data Cloud )?service/i);
			expect(fake.requests.find((entry) => entry.path === '/midjourney/edits')?.status).toBe(status);
			expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		}
	});

	it('a missing token is a token problem (400 no_token from the fake by default), not a field problem', async () => {
		const result = await runEdit(fake, [{ json: CAT }], POLL_FAST, { token: '' });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/No token reached/);
	});

	it('no_api on a lookup says to acquire the service', async () => {
		Object.assign(fake.faults, { apiErrors: 1, apiErrorCode: 'no_api' });
		const result = await runLookup({ operation: 'get' }, [{ json: { taskId: 'x' } }]);
		expect(result.error?.message).toMatch(/not enabled for this Ace Data Cloud application/);
	});
});

describe('429 without Retry-After', () => {
	it('polling backs off on its own schedule: the wait grows with each 429 in a row', async () => {
		Object.assign(fake.faults, { tasksRateLimit: 3 });
		const result = await runEdit(fake, [{ json: CAT }], POLL_FAST);
		expect(result.error).toBeUndefined();
		const lookups = fake.tasksRequestsFor('retrieve_batch');
		expect(lookups.map((entry) => entry.status).slice(0, 4)).toEqual([429, 429, 429, 200]);
		const gaps = lookups.slice(1, 4).map((entry, index) => entry.at - lookups[index].at);
		// Poll interval 1 s, doubled for each 429 in a row (jitter ±20 %): at least 1.6 s after the 2nd
		// and 3.2 s after the 3rd, where a plain interval would wait 1 s. Lower bounds only: a loaded
		// machine can make the gaps longer, never shorter.
		expect(gaps[1]).toBeGreaterThanOrEqual(1500);
		expect(gaps[2]).toBeGreaterThanOrEqual(3000);
	}, 30_000);

	it('a submission 429 without Retry-After is sent again after our own backoff, and billed once', async () => {
		fake.faults.submitRateLimit = 2;
		const result = await runEdit(fake, [{ json: CAT }], POLL_FAST);
		expect(result.error).toBeUndefined();
		expect(fake.count('POST', '/midjourney/edits')).toBe(3);
		expect(fake.tasks.size).toBe(1);
	}, 30_000);
});

describe('progress callbacks', () => {
	it('a progress callback (success true, progress 40) does not end the wait; the final one does', async () => {
		Object.assign(fake.faults, { progressCallbacks: true, jobDurationMs: 1500 });
		const waiting = await runEdit(fake, [{ json: CAT }], {
			waitMode: 'callback',
			options: { timeoutSeconds: 120, allowPrivateCallbackUrl: true },
		});
		expect(waiting.status).toBe('waiting');
		const resumed = await waitForResumedRun(waiting, { timeoutMs: 10_000 });
		expect(resumed.status).toBe('success');
		const [item] = resumed.nodeOutputs('Midjourney Edits');
		expect(item.json).toMatchObject({ success: true, progress: 100 });
		expect(String(item.json.image_url)).not.toMatch(/intermediate/);
		// The intermediate ones did reach n8n (and were answered) before the final one.
		await fake.waitFor(() => fake.callbacks.length >= 3, 10_000);
		expect(fake.callbacks.map((delivery) => [(delivery.body as { progress: number }).progress, delivery.status])).toEqual([
			[40, 200],
			[80, 200],
			[100, 200],
		]);
	}, 30_000);
});

describe('progress callbacks to the trigger', () => {
	it('a signed progress callback (success true, progress 40) starts no workflow; the final one does', async () => {
		// Signatures are bound to the trigger's own scheme, host and path (the harness's).
		const triggerUrl = `${await getHarnessBaseUrl()}/webhook/${DEFAULT_TRIGGER_WEBHOOK_ID}/callback`;
		const query = Object.fromEntries(new URL(signCallbackUrl(triggerUrl, TOKEN)).searchParams.entries());
		// Progress callbacks come while the task runs (the trigger reads the state from the task record).
		fake.faults.neverFinish = true;
		const taskId = await createTask();
		const staticData = {};
		const call = async (body: unknown) =>
			await callTriggerWebhook(MidjourneyEditsTrigger, { events: 'both' }, { body, query }, { credentials: credentialsFor(fake), staticData });
		const progress = await call({ ...loadExample('callback-progress.assumed.json'), task_id: taskId });
		expect(progress.responseStatus).toBeLessThan(300);
		expect(progress.workflowData).toBeUndefined();
		fake.finishTask(taskId, 'success');
		const final = await call({ ...loadExample('callback-success.json'), task_id: taskId });
		expect(final.workflowData?.[0]).toHaveLength(1);
		expect(final.workflowData![0][0].json).toMatchObject({ task_id: taskId, success: true, progress: 100 });
	});
});
