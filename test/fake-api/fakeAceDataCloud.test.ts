/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Tests of the fake Ace Data Cloud API itself, over real HTTP: every test of the package trusts it,
 * so its shapes are checked against the contract's example files and each fault is exercised.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import * as ts from 'typescript';

import { parseCliArguments } from './cli';
import {
	DEFAULT_FAULTS,
	DEFAULT_PLATFORM_TOKEN,
	startFakeAceDataCloud,
	GRID_ACTIONS,
	type EditsSuccess,
	type FakeAceDataCloud,
	type TaskFailure,
	type TaskRecord,
} from './fakeAceDataCloud';
import { colourForQuarter, crc32, inspectPng, PNG_SIGNATURE, resultImagePng, upscaledImagePng } from './pngs';

// --- the contract's example files (shared/api/examples beside the repository) ----------------------

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES_DIR = path.join(path.dirname(REPO_ROOT), 'shared', 'api', 'examples');
if (!fs.existsSync(EXAMPLES_DIR)) {
	throw new Error(
		`The API contract examples are missing: expected ${EXAMPLES_DIR} ` +
			'(the shared/ folder must sit beside the repository checkout).',
	);
}
function example(name: string): Record<string, unknown> {
	return JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, name), 'utf8')) as Record<string, unknown>;
}
const keysOf = (value: unknown): string[] => Object.keys(value as object).sort();
const withKeys = (value: unknown, ...extra: string[]): string[] => [...Object.keys(value as object), ...extra].sort();

// --- HTTP helpers --------------------------------------------------------------------------------

const TOKEN = 'test-token';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const VALID_EDIT = { action: 'generate', image_url: 'https://cdn.example.test/input/cat.jpg', prompt: 'A cat, watercolor' };

interface Answer {
	status: number;
	headers: Headers;
	text: string;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	json: any;
}

let fake: FakeAceDataCloud;

async function call(
	method: string,
	urlPath: string,
	body?: unknown,
	options: { token?: string | null; rawBody?: string | FormData; baseUrl?: string } = {},
): Promise<Answer> {
	const headers: Record<string, string> = {};
	const token = options.token === undefined ? TOKEN : options.token;
	if (token !== null) headers.authorization = `Bearer ${token}`;
	if (body !== undefined) headers['content-type'] = 'application/json';
	const response = await fetch(`${options.baseUrl ?? fake.url}${urlPath}`, {
		method,
		headers,
		body: options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
	});
	const text = await response.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

const submit = (body: unknown, options?: Parameters<typeof call>[3]) => call('POST', '/midjourney/edits', body, options);
const lookup = (body: unknown, options?: Parameters<typeof call>[3]) => call('POST', '/midjourney/tasks', body, options);
const retrieve = (id: string) => lookup({ action: 'retrieve', id });

async function download(url: string): Promise<{ status: number; contentType: string | null; bytes: Buffer }> {
	const response = await fetch(url);
	return {
		status: response.status,
		contentType: response.headers.get('content-type'),
		bytes: Buffer.from(await response.arrayBuffer()),
	};
}

async function submitAsync(extra: Record<string, unknown> = {}): Promise<string> {
	const answer = await submit({ ...VALID_EDIT, async: true, ...extra });
	expect(answer.status).toBe(200);
	return answer.json.task_id as string;
}

async function finishedRecord(taskId: string): Promise<TaskRecord> {
	await fake.waitFor(() => fake.tasks.get(taskId)?.state !== 'running', 3000);
	return (await retrieve(taskId)).json as TaskRecord;
}

function uploadForm(bytes: Buffer, fileName: string, mimeType: string, field = 'file'): FormData {
	const form = new FormData();
	form.append(field, new Blob([bytes], { type: mimeType }), fileName);
	return form;
}

/** A local HTTP server standing in for n8n's callback webhook. */
interface CallbackReceiver {
	url: string;
	received: Array<{ body: unknown; headers: IncomingHttpHeaders; at: number }>;
	close(): Promise<void>;
}
async function startReceiver(status = 200): Promise<CallbackReceiver> {
	const received: CallbackReceiver['received'] = [];
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers, at: Date.now() });
			res.writeHead(status).end();
		});
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}/webhook/callback`,
		received,
		close: () =>
			new Promise((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 100 });
});
afterEach(() => fake.reset());
afterAll(async () => {
	await fake.close();
});

// --- tests -----------------------------------------------------------------------------------------

describe('authentication', () => {
	it('answers 400 no_token without an authorization header (the MCP error table), in the error shape of examples/error.json', async () => {
		const answer = await submit(VALID_EDIT, { token: null });
		expect(answer.status).toBe(400);
		expect(answer.json.error.code).toBe('no_token');
		expect(keysOf(answer.json)).toEqual(keysOf(example('error.json')));
		expect(keysOf(answer.json.error)).toEqual(keysOf(example('error.json').error));
		expect(answer.json.trace_id).toMatch(UUID_V4);
		expect(fake.tasks.size).toBe(0);
	});

	it('answers 401 invalid_token to an unknown token on every API endpoint', async () => {
		for (const answer of [
			await submit(VALID_EDIT, { token: 'wrong-token' }),
			await lookup({ action: 'retrieve_batch', ids: [] }, { token: 'wrong-token' }),
			await call('POST', '/api/v1/files/', undefined, { token: 'wrong-token', rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png') }),
		]) {
			expect(answer.status).toBe(401);
			expect(answer.json.error.code).toBe('invalid_token');
		}
	});

	it('accepts the tokens given in validTokens only', async () => {
		const other = await startFakeAceDataCloud({ validTokens: ['other-token'] });
		try {
			const base = { baseUrl: other.url };
			expect((await lookup({ action: 'retrieve_batch', ids: [] }, { ...base, token: 'other-token' })).status).toBe(200);
			expect((await lookup({ action: 'retrieve_batch', ids: [] }, { ...base, token: TOKEN })).status).toBe(401);
		} finally {
			await other.close();
		}
	});

	it('logs every request with authorized true/false but never the token', async () => {
		await submit({ ...VALID_EDIT, async: true });
		await submit(VALID_EDIT, { token: 'wrong-token' });
		expect(fake.requests.map((entry) => entry.authorized)).toEqual([true, false]);
		expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/midjourney/edits', status: 200 });
		expect(fake.requests[0].body).toEqual({ ...VALID_EDIT, async: true });
		const overHttp = await call('GET', '/__fake/requests', undefined, { token: null });
		for (const text of [JSON.stringify(fake.requests), overHttp.text]) {
			expect(text).not.toContain(TOKEN);
			expect(text).not.toContain('wrong-token');
		}
	});
});

describe('POST /midjourney/edits validation', () => {
	it.each([
		['a body that is not JSON', 'not json', 'bad_request', /JSON/],
		['a JSON array', '[1]', 'bad_request', /JSON object/],
		['a missing prompt', JSON.stringify({ image_url: VALID_EDIT.image_url }), 'bad_request', /prompt/],
		['an empty prompt', JSON.stringify({ ...VALID_EDIT, prompt: '  ' }), 'bad_request', /prompt/],
		['a missing image_url', JSON.stringify({ prompt: 'x' }), 'bad_request', /image_url/],
		['an empty image_url', JSON.stringify({ ...VALID_EDIT, image_url: '' }), 'bad_request', /image_url/],
		['an unknown mode', JSON.stringify({ ...VALID_EDIT, mode: 'slow' }), 'bad_request', /mode/],
		['a non-URL callback_url', JSON.stringify({ ...VALID_EDIT, callback_url: 'not a url' }), 'bad_request', /callback_url/],
		['an action other than generate', JSON.stringify({ ...VALID_EDIT, action: 'upscale' }), 'api_not_implemented', /upscale/],
	])('rejects %s with 400 and creates no task', async (_case, rawBody, code, message) => {
		const answer = await call('POST', '/midjourney/edits', undefined, { rawBody });
		expect(answer.status).toBe(400);
		expect(answer.json.error.code).toBe(code);
		expect(answer.json.error.message).toMatch(message);
		expect(fake.tasks.size).toBe(0);
	});

	it.each(['fast', 'relax', 'turbo'])('accepts mode %s', async (mode) => {
		expect((await submit({ ...VALID_EDIT, mode, async: true })).status).toBe(200);
	});

	it('treats action as optional (generate is the default)', async () => {
		const withoutAction = Object.fromEntries(Object.entries(VALID_EDIT).filter(([field]) => field !== 'action'));
		expect((await submit({ ...withoutAction, async: true })).status).toBe(200);
	});
});

describe('asynchronous submission and task records', () => {
	it('answers {task_id} at once with async: true, like examples/edits-async-ack.json', async () => {
		// "At once": answered while the job still runs (it never finishes by itself), not timed.
		fake.faults.neverFinish = true;
		const answer = await submit({ ...VALID_EDIT, async: true });
		expect(keysOf(answer.json)).toEqual(keysOf(example('edits-async-ack.json')));
		expect(answer.json.task_id).toMatch(UUID_V4);
		expect(fake.tasks.get(answer.json.task_id)?.state).toBe('running');
	});

	it('returns a running record without response, then the finished record of examples/task-record.json', async () => {
		const body = { ...VALID_EDIT, mode: 'fast', split_images: true, async: true };
		const taskId = (await submit(body)).json.task_id as string;

		const running = (await retrieve(taskId)).json;
		// The running example is abbreviated; the fake also sends the _id and application_id every record has.
		expect(keysOf(running)).toEqual(withKeys(example('task-record-running.json'), '_id', 'application_id'));
		expect(running).not.toHaveProperty('response');
		expect(running.type).toBe('edits');
		expect(running.request).toEqual(body);

		const finished = await finishedRecord(taskId);
		const recordExample = example('task-record.json');
		expect(keysOf(finished)).toEqual(keysOf(recordExample));
		expect(keysOf(finished.response)).toEqual(withKeys(recordExample.response, 'actions'));
		expect(finished.id).toBe(taskId);
		expect(finished._id).toMatch(/^[0-9a-f]{24}$/);
		expect(finished.application_id).toMatch(UUID_V4);
		expect(typeof finished.created_at).toBe('number');
		expect(finished.finished_at).toBeGreaterThanOrEqual(finished.created_at);
		expect(finished.duration).toBeCloseTo(finished.finished_at! - finished.created_at, 2);
		expect(finished.duration).toBeGreaterThanOrEqual(0.09);
	});

	it('builds the flat success result with links to the fake itself', async () => {
		const taskId = await submitAsync({ split_images: true });
		const response = (await finishedRecord(taskId)).response as EditsSuccess;
		expect(response).toMatchObject({
			success: true,
			task_id: taskId,
			image_width: 960,
			image_height: 1200,
			raw_image_width: 960,
			raw_image_height: 1200,
			progress: 100,
		});
		expect(response.image_id).toMatch(/^\d{19}$/);
		const signedGrid = new RegExp(`^${fake.url}/results/${taskId}/grid\\.png\\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]+$`);
		expect(response.image_url).toMatch(signedGrid);
		expect(response.raw_image_url).toMatch(signedGrid);
		expect(response.sub_image_urls).toEqual([0, 1, 2, 3].map((n) => `${fake.url}/results/${taskId}/0_${n}.png`));
		expect(response.actions).toEqual([
			'upscale1', 'upscale2', 'upscale3', 'upscale4', 'variation1', 'variation2', 'variation3', 'variation4', 'reroll',
		]);
	});

	it('leaves sub_image_urls out unless split_images was true', async () => {
		const taskId = await submitAsync();
		const response = (await finishedRecord(taskId)).response!;
		expect(response).not.toHaveProperty('sub_image_urls');
		expect(keysOf(response)).toEqual(
			withKeys(example('edits-success.json'), 'actions').filter((key) => key !== 'sub_image_urls'),
		);
	});

	it('keeps the request as sent and notes whether a mask came, and how long it was', async () => {
		const withMask = await submitAsync({ mask: 'aGVsbG8gbWFzaw==' });
		const withoutMask = await submitAsync();
		expect(fake.tasks.get(withMask)?.mask).toEqual({ present: true, length: 16 });
		expect(fake.tasks.get(withMask)?.record.request.mask).toBe('aGVsbG8gbWFzaw==');
		expect(fake.tasks.get(withoutMask)?.mask).toEqual({ present: false, length: 0 });
	});

	it('fails a task whose prompt carries [fail] with the moderation error', async () => {
		const taskId = await submitAsync({ prompt: 'a cat [fail]' });
		const record = await finishedRecord(taskId);
		expect(record.response).toMatchObject({ success: false, task_id: taskId, error: { code: 'forbidden' } });
		expect(keysOf(record.response)).toEqual(keysOf(example('callback-failure.assumed.json')));
		expect(fake.tasks.get(taskId)?.state).toBe('failed');
	});

	it('answers {} with HTTP 200 for an unknown id', async () => {
		const answer = await retrieve('00000000-0000-4000-8000-000000000000');
		expect(answer.status).toBe(200);
		expect(answer.json).toEqual({});
	});

	it('answers retrieve_batch with {items, count} like examples/task-batch.json, leaving unknown ids out', async () => {
		const first = await submitAsync();
		const second = await submitAsync();
		const answer = await lookup({ action: 'retrieve_batch', ids: [first, 'no-such-task', second] });
		expect(answer.status).toBe(200);
		expect(keysOf(answer.json)).toEqual(keysOf(example('task-batch.json')));
		expect(answer.json.count).toBe(2);
		expect(answer.json.items.map((item: TaskRecord) => item.id)).toEqual([first, second]);

		const paged = await lookup({ action: 'retrieve_batch', ids: [first, second], offset: 1, limit: 1 });
		expect(paged.json.items.map((item: TaskRecord) => item.id)).toEqual([second]);
		expect(paged.json.count).toBe(2);
	});

	it('answers retrieve_batch with no ids (the credential test) with an empty list and creates nothing', async () => {
		const answer = await lookup({ action: 'retrieve_batch', ids: [] });
		expect(answer.status).toBe(200);
		expect(answer.json).toEqual({ items: [], count: 0 });
		expect(fake.tasks.size).toBe(0);
		expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(1);
	});

	it.each([
		['another action', { action: 'delete', id: 'x' }, 'api_not_implemented'],
		['no action', { id: 'x' }, 'bad_request'],
		['retrieve without id', { action: 'retrieve' }, 'bad_request'],
		['retrieve_batch without ids', { action: 'retrieve_batch' }, 'bad_request'],
		['a negative offset', { action: 'retrieve_batch', ids: [], offset: -1 }, 'bad_request'],
	])('answers 400 to %s', async (_case, body, code) => {
		const answer = await lookup(body);
		expect(answer.status).toBe(400);
		expect(answer.json.error.code).toBe(code);
	});
});

describe('synchronous submission', () => {
	it('holds the connection until the job finishes and answers the success shape', async () => {
		fake.faults.jobDurationMs = 300;
		const started = Date.now();
		const answer = await submit({ ...VALID_EDIT, split_images: true });
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
		expect(answer.status).toBe(200);
		expect(keysOf(answer.json)).toEqual(withKeys(example('edits-success.json'), 'actions'));
		expect(answer.json.success).toBe(true);
		expect(fake.tasks.get(answer.json.task_id)?.state).toBe('succeeded');
	});

	it('answers the error shape with the error status when the task fails', async () => {
		const answer = await submit({ ...VALID_EDIT, prompt: 'forbidden thing [fail]' });
		expect(answer.status).toBe(403);
		expect(keysOf(answer.json)).toEqual(keysOf(example('error.json')));
		expect(answer.json.error.code).toBe('forbidden');
		expect(answer.json.error.message).toMatch(/moderators/);
	});

	it('answers a task finished by hand with another error by that error status', async () => {
		fake.faults.neverFinish = true;
		const pending = submit(VALID_EDIT);
		const task = await fake.waitFor(() => [...fake.tasks.values()][0]);
		fake.finishTask(task.id, { code: 'timeout', message: 'generation timed out' });
		const answer = await pending;
		expect(answer.status).toBe(504);
		expect(answer.json.error).toEqual({ code: 'timeout', message: 'generation timed out' });
	});

	it('destroys held synchronous calls on close() instead of hanging', async () => {
		const other = await startFakeAceDataCloud({ jobDurationMs: 60_000 });
		const pending = submit(VALID_EDIT, { baseUrl: other.url });
		await other.waitFor(() => other.tasks.size === 1);
		await other.close();
		await expect(pending).rejects.toThrow();
	});
});

describe('callbacks', () => {
	let receiver: CallbackReceiver;
	beforeEach(async () => {
		receiver = await startReceiver();
	});
	afterEach(async () => {
		await receiver.close();
	});

	it('answers {task_id} at once and POSTs the success shape of examples/callback-success.json once', async () => {
		const answer = await submit({ ...VALID_EDIT, split_images: true, callback_url: receiver.url });
		expect(keysOf(answer.json)).toEqual(keysOf(example('edits-async-ack.json')));
		await fake.waitFor(() => receiver.received.length === 1);
		const { body, headers } = receiver.received[0];
		expect(headers['content-type']).toBe('application/json');
		expect(keysOf(body)).toEqual(withKeys(example('callback-success.json'), 'actions'));
		expect(body).toEqual(fake.tasks.get(answer.json.task_id)?.record.response);
		await sleep(200);
		expect(receiver.received).toHaveLength(1);
		expect(fake.callbacks).toEqual([
			expect.objectContaining({ taskId: answer.json.task_id, url: receiver.url, status: 200, attempt: 1 }),
		]);
	});

	it('POSTs the assumed failure shape of examples/callback-failure.assumed.json for a failed task', async () => {
		await submit({ ...VALID_EDIT, prompt: '[fail] nope', callback_url: receiver.url });
		await fake.waitFor(() => receiver.received.length === 1);
		const body = receiver.received[0].body as TaskFailure;
		expect(keysOf(body)).toEqual(keysOf(example('callback-failure.assumed.json')));
		expect(body).toMatchObject({ success: false, error: { code: 'forbidden' } });
	});

	it("sends twice about 50 ms apart in 'duplicate' mode", async () => {
		fake.faults.callbackMode = 'duplicate';
		await submit({ ...VALID_EDIT, callback_url: receiver.url });
		// The receiver sees a delivery before the fake records the receiver's answer: wait for both.
		await fake.waitFor(() => receiver.received.length === 2 && fake.callbacks.length === 2);
		expect(receiver.received[1].at - receiver.received[0].at).toBeGreaterThanOrEqual(40);
		expect(receiver.received[1].body).toEqual(receiver.received[0].body);
		expect(fake.callbacks.map((delivery) => delivery.attempt)).toEqual([1, 2]);
	});

	it("never sends in 'never' mode", async () => {
		fake.faults.callbackMode = 'never';
		const taskId = (await submit({ ...VALID_EDIT, callback_url: receiver.url })).json.task_id as string;
		await fake.waitFor(() => fake.tasks.get(taskId)?.state === 'succeeded');
		await sleep(200);
		expect(receiver.received).toHaveLength(0);
		expect(fake.callbacks).toHaveLength(0);
	});

	it("sends callbackDelayMs after the task finished in 'late' mode", async () => {
		Object.assign(fake.faults, { callbackMode: 'late', callbackDelayMs: 400 });
		const taskId = (await submit({ ...VALID_EDIT, callback_url: receiver.url })).json.task_id as string;
		await fake.waitFor(() => fake.tasks.get(taskId)?.state === 'succeeded');
		const finishedAt = Date.now();
		await sleep(200);
		expect(receiver.received).toHaveLength(0);
		await fake.waitFor(() => receiver.received.length === 1);
		expect(receiver.received[0].at - finishedAt).toBeGreaterThanOrEqual(350);
	});

	it('records the receiver status and does not retry a failed delivery', async () => {
		const failingReceiver = await startReceiver(500);
		try {
			await submit({ ...VALID_EDIT, callback_url: failingReceiver.url });
			await fake.waitFor(() => fake.callbacks.length === 1);
			await sleep(200);
			expect(failingReceiver.received).toHaveLength(1);
			expect(fake.callbacks).toEqual([expect.objectContaining({ status: 500, attempt: 1 })]);
		} finally {
			await failingReceiver.close();
		}
	});

	it('records an unreachable receiver as an error string', async () => {
		const closed = await startReceiver();
		await closed.close();
		await submit({ ...VALID_EDIT, callback_url: closed.url });
		const [delivery] = await fake.waitFor(() => (fake.callbacks.length === 1 ? fake.callbacks : undefined));
		expect(typeof delivery.status).toBe('string');
		expect(delivery.status).toMatch(/^error: /);
	});

	it('(re)sends a callback by hand with deliverCallback, counting attempts', async () => {
		const taskId = (await submit({ ...VALID_EDIT, callback_url: receiver.url })).json.task_id as string;
		await fake.waitFor(() => fake.callbacks.length === 1);
		const again = await fake.deliverCallback(taskId);
		expect(again).toMatchObject({ taskId, status: 200, attempt: 2 });
		expect(receiver.received).toHaveLength(2);
		await expect(fake.deliverCallback(await submitAsync())).rejects.toThrow(/has not finished/);
	});
});

describe('faults', () => {
	it('submitRateLimit: next N submissions get 429 with Retry-After and create no task', async () => {
		Object.assign(fake.faults, { submitRateLimit: 2, retryAfterSeconds: 7 });
		for (let attempt = 0; attempt < 2; attempt++) {
			const answer = await submit({ ...VALID_EDIT, async: true });
			expect(answer.status).toBe(429);
			expect(answer.json.error.code).toBe('too_many_requests');
			expect(answer.headers.get('retry-after')).toBe('7');
		}
		expect(fake.tasks.size).toBe(0);
		expect(fake.faults.submitRateLimit).toBe(0);
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(200);
	});

	it('submitRateLimit: no Retry-After by default (no vendor source documents one)', async () => {
		fake.faults.submitRateLimit = 1;
		const answer = await submit({ ...VALID_EDIT, async: true });
		expect(answer.status).toBe(429);
		expect(answer.headers.get('retry-after')).toBeNull();
	});

	it('submitRateLimit is not used up by an invalid submission', async () => {
		fake.faults.submitRateLimit = 1;
		expect((await submit({ prompt: 'no image' })).status).toBe(400);
		expect(fake.faults.submitRateLimit).toBe(1);
	});

	it('submitServerError: 500 api_error without a task, or with one when serverErrorCreatesTask', async () => {
		fake.faults.submitServerError = 1;
		const answer = await submit({ ...VALID_EDIT, async: true });
		expect(answer.status).toBe(500);
		expect(answer.json.error.code).toBe('api_error');
		expect(fake.tasks.size).toBe(0);

		Object.assign(fake.faults, { submitServerError: 1, serverErrorCreatesTask: true });
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(500);
		expect(fake.tasks.size).toBe(1);
	});

	it('submitDropConnection: the task is created, the socket destroyed without an answer', async () => {
		fake.faults.submitDropConnection = 1;
		await expect(submit({ ...VALID_EDIT, async: true })).rejects.toThrow();
		expect(fake.tasks.size).toBe(1);
		expect(fake.requests[0].status).toBe('dropped');
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(200);
	});

	it('submitForbidden: 403 with forbiddenCode (default forbidden) and no task', async () => {
		fake.faults.submitForbidden = 1;
		const moderated = await submit({ ...VALID_EDIT, async: true });
		expect(moderated.status).toBe(403);
		expect(moderated.json.error.code).toBe('forbidden');
		Object.assign(fake.faults, { submitForbidden: 1, forbiddenCode: 'used_up' });
		const usedUp = await submit({ ...VALID_EDIT, async: true });
		expect(usedUp.status).toBe(403);
		expect(usedUp.json.error.code).toBe('used_up');
		expect(fake.tasks.size).toBe(0);
	});

	it('tasksServerError and tasksRateLimit: next N lookups get 500 / 429', async () => {
		Object.assign(fake.faults, { tasksServerError: 1, tasksRateLimit: 1 });
		const limited = await lookup({ action: 'retrieve_batch', ids: [] });
		expect(limited.status).toBe(429);
		expect(limited.headers.get('retry-after')).toBeNull();
		const failed = await lookup({ action: 'retrieve_batch', ids: [] });
		expect(failed.status).toBe(500);
		expect(failed.json.error.code).toBe('api_error');
		expect((await lookup({ action: 'retrieve_batch', ids: [] })).status).toBe(200);
	});

	it('tasksDropConnection: next N lookups lose their connection', async () => {
		fake.faults.tasksDropConnection = 1;
		await expect(lookup({ action: 'retrieve_batch', ids: [] })).rejects.toThrow();
		expect((await lookup({ action: 'retrieve_batch', ids: [] })).status).toBe(200);
	});

	it('tasksMalformedJson: next N lookups answer 200 with a cut-short body', async () => {
		const taskId = await submitAsync();
		fake.faults.tasksMalformedJson = 1;
		for (const body of [{ action: 'retrieve', id: taskId }, { action: 'retrieve', id: 'unknown' }]) {
			fake.faults.tasksMalformedJson = 1;
			const answer = await lookup(body);
			expect(answer.status).toBe(200);
			expect(answer.headers.get('content-type')).toBe('application/json');
			expect(() => JSON.parse(answer.text)).toThrow();
		}
		expect((await retrieve(taskId)).json.id).toBe(taskId);
	});

	it('uploadServerError: next N uploads get 500', async () => {
		fake.faults.uploadServerError = 1;
		const form = () => uploadForm(Buffer.from('png'), 'a.png', 'image/png');
		expect((await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: form() })).status).toBe(500);
		expect((await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: form() })).status).toBe(200);
	});

	it('jobDurationMs overrides the job duration of new tasks; neverFinish keeps them running until finishTask', async () => {
		fake.faults.jobDurationMs = 5000;
		const slow = await submitAsync();
		fake.faults.jobDurationMs = undefined;
		fake.faults.neverFinish = true;
		const endless = await submitAsync();
		await sleep(300); // the option's 100 ms would have finished both
		expect(fake.tasks.get(slow)?.state).toBe('running');
		expect(fake.tasks.get(endless)?.state).toBe('running');
		expect((await retrieve(endless)).json).not.toHaveProperty('response');

		expect(fake.finishTask(endless)).toBe(true);
		expect(fake.finishTask(endless)).toBe(false);
		expect((await retrieve(endless)).json.response.success).toBe(true);
		fake.finishTask(slow, 'failure');
		expect((await retrieve(slow)).json.response.error.code).toBe('forbidden');
	});

	it('failTasks: new tasks fail with the moderation error', async () => {
		fake.faults.failTasks = true;
		const taskId = await submitAsync();
		expect((await finishedRecord(taskId)).response).toMatchObject({ success: false, error: { code: 'forbidden' } });
	});

	it('sizesAsStrings: widths and heights become strings, as the OpenAPI file types them', async () => {
		fake.faults.sizesAsStrings = true;
		const response = (await finishedRecord(await submitAsync())).response as EditsSuccess;
		expect(response).toMatchObject({ image_width: '960', image_height: '1200', raw_image_width: '960', raw_image_height: '1200' });
	});

	it('downloadFailures and expiredImages: image links answer 403 like an expired signed link', async () => {
		const taskId = await submitAsync();
		const imageUrl = ((await finishedRecord(taskId)).response as EditsSuccess).image_url;
		fake.faults.downloadFailures = 2;
		expect((await download(imageUrl)).status).toBe(403);
		expect((await download(imageUrl)).status).toBe(403);
		expect((await download(imageUrl)).status).toBe(200);
		fake.faults.expiredImages = true;
		expect((await download(imageUrl)).status).toBe(403);
		expect((await download(imageUrl)).status).toBe(403);
	});

	it('uploadResponseKey url: the upload answers {url} instead of {file_url}', async () => {
		fake.faults.uploadResponseKey = 'url';
		const answer = await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png') });
		expect(keysOf(answer.json)).toEqual(['url']);
		expect((await download(answer.json.url)).status).toBe(200);
	});

	it('uploadRejectsToken: only the upload refuses the valid platform token', async () => {
		fake.faults.uploadRejectsToken = true;
		const answer = await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png') });
		expect(answer.status).toBe(401);
		expect(answer.json.error.code).toBe('invalid_token');
		expect(fake.requests[0].authorized).toBe(false);
		expect((await lookup({ action: 'retrieve_batch', ids: [] })).status).toBe(200);
	});

	it('uploads take the platform token only; the API endpoints take the API token only; the log says which came', async () => {
		const form = () => uploadForm(Buffer.from('x'), 'a.png', 'image/png');
		const withApiToken = await call('POST', '/api/v1/files/', undefined, { token: TOKEN, rawBody: form() });
		expect(withApiToken.status).toBe(401);
		expect(withApiToken.json.error.code).toBe('invalid_token');
		expect((await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: form() })).status).toBe(200);
		expect((await lookup({ action: 'retrieve_batch', ids: [] }, { token: DEFAULT_PLATFORM_TOKEN })).status).toBe(401);
		expect(fake.requests.map((entry) => entry.tokenKind)).toEqual(['api', 'platform', 'platform']);
		expect(JSON.stringify(fake.requests)).not.toContain(DEFAULT_PLATFORM_TOKEN);
	});

	it.each([
		['used_up', 403],
		['forbidden', 403],
		['no_api', 404],
		['disabled', 400],
		['token_mismatched', 400],
		['token_expired', 401],
	])('submitForbidden with forbiddenCode %s answers HTTP %i', async (code, status) => {
		Object.assign(fake.faults, { submitForbidden: 1, forbiddenCode: code });
		const answer = await submit({ ...VALID_EDIT, async: true });
		expect(answer.status).toBe(status);
		expect(answer.json.error.code).toBe(code);
		expect(fake.tasks.size).toBe(0);
	});

	it('apiErrors: the next N API requests (edits or tasks) answer apiErrorCode; errorsWithoutSuccess drops success', async () => {
		Object.assign(fake.faults, { apiErrors: 2, apiErrorCode: 'no_api', errorsWithoutSuccess: true });
		const looked = await lookup({ action: 'retrieve', id: 'x' });
		expect(looked.status).toBe(404);
		expect(keysOf(looked.json)).toEqual(keysOf(example('error-no-api.json')));
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(404);
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(200);
	});

	it('retrieve_batch: limit defaults to 12 (OpenAPI); tasksPageMax caps any limit', async () => {
		const ids = await Promise.all(Array.from({ length: 15 }, () => submitAsync()));
		expect((await lookup({ action: 'retrieve_batch', ids })).json.items).toHaveLength(12);
		expect((await lookup({ action: 'retrieve_batch', ids, limit: 15 })).json.items).toHaveLength(15);
		fake.faults.tasksPageMax = 5;
		const capped = await lookup({ action: 'retrieve_batch', ids, limit: 15 });
		expect(capped.json.items.map((record: TaskRecord) => record.id)).toEqual(ids.slice(0, 5));
		fake.faults.tasksPageOverMax = 'refuse';
		expect((await lookup({ action: 'retrieve_batch', ids, limit: 15 })).status).toBe(400);
		expect((await lookup({ action: 'retrieve_batch', ids, limit: 5 })).json.items).toHaveLength(5);
	});

	it('unknownAsNull: an unknown id is null (retrieve) and a null entry (retrieve_batch)', async () => {
		fake.faults.unknownAsNull = true;
		const taskId = await submitAsync();
		const single = await retrieve('unknown');
		expect(single.status).toBe(200);
		expect(single.text).toBe('null');
		const batch = await lookup({ action: 'retrieve_batch', ids: ['unknown', taskId] });
		expect(batch.json.items[0]).toBeNull();
		expect(batch.json.items[1].id).toBe(taskId);
	});

	it('taskStates: generating with finished_at null, then finished; a failed task has state failed and no response', async () => {
		Object.assign(fake.faults, { taskStates: true, neverFinish: true });
		const good = await submitAsync();
		const bad = await submitAsync();
		expect((await retrieve(good)).json).toMatchObject({ state: 'generating', finished_at: null });
		fake.finishTask(good, 'success');
		fake.finishTask(bad, 'failure');
		expect((await retrieve(good)).json).toMatchObject({ state: 'finished', response: { success: true, progress: 100 } });
		const failed = (await retrieve(bad)).json;
		expect(failed.state).toBe('failed');
		expect(failed.response).toBeUndefined();
		expect(typeof failed.finished_at).toBe('number');
		expect(keysOf(failed)).toEqual(
			withKeys(example('task-record-failed-state.assumed.json'), 'duration', '_id', 'application_id'),
		);
	});

	it('generatingResponse: a running record carries success false with progress below 100', async () => {
		Object.assign(fake.faults, { generatingResponse: true, taskStates: true, neverFinish: true });
		const taskId = await submitAsync();
		const running = (await retrieve(taskId)).json;
		expect(running.response).toEqual({ success: false, task_id: taskId, progress: 40 });
		expect(keysOf(running)).toEqual(withKeys(example('task-record-generating-state.assumed.json'), '_id', 'application_id'));
	});

	it('responseDelayMs: delays every API answer', async () => {
		fake.faults.responseDelayMs = 250;
		const started = Date.now();
		expect((await lookup({ action: 'retrieve_batch', ids: [] })).status).toBe(200);
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(490);
	});
});

describe('platform upload', () => {
	it('stores a multipart file and serves it back at the URL it answers, like examples/files-upload-response.json', async () => {
		const bytes = resultImagePng('upload-test', 0);
		const answer = await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: uploadForm(bytes, 'Cat Photo.PNG', 'image/png') });
		expect(answer.status).toBe(200);
		expect(keysOf(answer.json)).toEqual(keysOf(example('files-upload-response.json')));
		expect(answer.json.file_url).toMatch(new RegExp(`^${fake.url}/uploads/[0-9a-f]{10}\\.png$`));
		expect(fake.requests[0]).toMatchObject({
			path: '/api/v1/files/',
			authorized: true,
			body: { fileName: 'Cat Photo.PNG', mimeType: 'image/png', size: bytes.length },
		});

		const served = await download(answer.json.file_url);
		expect(served.status).toBe(200);
		expect(served.contentType).toBe('image/png');
		expect(served.bytes.equals(bytes)).toBe(true);
	});

	it('keeps binary bytes intact and takes the extension from the MIME type when the name has none', async () => {
		const bytes = Buffer.from(Array.from({ length: 3000 }, (_, index) => (index * 37) % 256));
		const answer = await call('POST', '/api/v1/files', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: uploadForm(bytes, 'blob', 'image/jpeg') });
		expect(answer.json.file_url).toMatch(/\.jpg$/);
		expect((await download(answer.json.file_url)).bytes.equals(bytes)).toBe(true);
	});

	it('answers 400 without a multipart body or without a field named file', async () => {
		const notMultipart = await call('POST', '/api/v1/files/', { file: 'x' }, { token: DEFAULT_PLATFORM_TOKEN });
		expect(notMultipart.status).toBe(400);
		expect(notMultipart.json.error.code).toBe('bad_request');
		const wrongField = await call('POST', '/api/v1/files/', undefined, {
			token: DEFAULT_PLATFORM_TOKEN,
			rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png', 'image'),
		});
		expect(wrongField.status).toBe(400);
		expect(wrongField.json.error.message).toMatch(/file/);
		expect(fake.uploads.size).toBe(0);
	});

	it('needs a token: 400 no_token without one', async () => {
		const answer = await call('POST', '/api/v1/files/', undefined, {
			token: null,
			rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png'),
		});
		expect(answer.status).toBe(400);
		expect(answer.json.error.code).toBe('no_token');
	});

	it('answers 404 for an unknown upload', async () => {
		expect((await download(`${fake.url}/uploads/0000000000.png`)).status).toBe(404);
	});
});

describe('result images', () => {
	it('serves valid PNGs for the grid and each quarter, without a token, telling tasks and quarters apart', async () => {
		const taskId = await submitAsync({ split_images: true });
		const response = (await finishedRecord(taskId)).response as EditsSuccess;

		const grid = await download(response.image_url);
		expect(grid.status).toBe(200);
		expect(grid.contentType).toBe('image/png');
		const gridPng = inspectPng(grid.bytes);
		expect([gridPng.width, gridPng.height]).toEqual([32, 32]);
		expect(gridPng.pixelAt(0, 0)).toEqual(colourForQuarter(taskId, 0));
		expect(gridPng.pixelAt(31, 31)).toEqual(colourForQuarter(taskId, 3));

		const quarterColours = [];
		for (const [quarter, url] of response.sub_image_urls!.entries()) {
			const quarterImage = await download(url);
			expect(quarterImage.status).toBe(200);
			const png = inspectPng(quarterImage.bytes);
			expect([png.width, png.height, png.bitDepth, png.colourType]).toEqual([16, 16, 8, 2]);
			expect(png.pixelAt(5, 5)).toEqual(colourForQuarter(taskId, quarter as 0 | 1 | 2 | 3));
			quarterColours.push(png.pixelAt(0, 0).join(','));
		}
		expect(new Set(quarterColours).size).toBe(4);
		expect(colourForQuarter('another-task', 0)).not.toEqual(colourForQuarter(taskId, 0));
		expect(fake.count('GET', /^\/results\//, (entry) => !entry.authorized)).toBe(5);
	});

	it('answers 404 for unknown, running and failed tasks, and for quarters of an unsplit result', async () => {
		fake.faults.jobDurationMs = 5000;
		const running = await submitAsync({ split_images: true });
		fake.faults.jobDurationMs = undefined;
		const failed = await submitAsync({ prompt: '[fail]' });
		const unsplit = await submitAsync();
		await fake.waitFor(() => fake.tasks.get(failed)?.state === 'failed' && fake.tasks.get(unsplit)?.state === 'succeeded');
		for (const imagePath of [
			'/results/no-such-task/grid.png',
			`/results/${running}/grid.png`,
			`/results/${running}/0_0.png`,
			`/results/${failed}/grid.png`,
			`/results/${unsplit}/0_1.png`,
		]) {
			expect([imagePath, (await download(`${fake.url}${imagePath}`)).status]).toEqual([imagePath, 404]);
		}
		expect((await download(`${fake.url}/results/${unsplit}/grid.png`)).status).toBe(200);
	});
});

describe('POST /midjourney/imagine: follow-up actions on a result', () => {
	const imagine = (body: unknown, options?: Parameters<typeof call>[3]) => call('POST', '/midjourney/imagine', body, options);

	async function finishedResult(taskId: string): Promise<EditsSuccess> {
		const response = (await finishedRecord(taskId)).response as EditsSuccess;
		expect(response.success).toBe(true);
		return response;
	}

	/** Submits a follow-up with async: true and returns its task id (the answer must be 200). */
	async function followUpAsync(imageId: string, action: string, extra: Record<string, unknown> = {}): Promise<string> {
		const answer = await imagine({ action, image_id: imageId, async: true, ...extra });
		expect([action, answer.status, answer.json.error]).toEqual([action, 200, undefined]);
		return answer.json.task_id as string;
	}

	/** A finished edit grid and a finished upscale of its quarter 2. */
	async function gridAndUpscale(): Promise<{ grid: EditsSuccess; upscaled: EditsSuccess }> {
		const grid = await finishedResult(await submitAsync());
		const upscaled = await finishedResult(await followUpAsync(grid.image_id, 'upscale2'));
		return { grid, upscaled };
	}

	it("upscale2 on an edit's grid: {task_id} at once, a record of type imagine with the request as sent, the flat result with image_id and the upscaled actions", async () => {
		const grid = await finishedResult(await submitAsync());
		fake.faults.neverFinish = true;
		const body = { action: 'upscale2', image_id: grid.image_id, mode: 'fast', async: true };
		const answer = await imagine(body);
		expect(keysOf(answer.json)).toEqual(keysOf(example('edits-async-ack.json')));
		const taskId = answer.json.task_id as string;
		expect(taskId).toMatch(UUID_V4);

		const running = (await retrieve(taskId)).json as TaskRecord;
		expect(running).not.toHaveProperty('response');
		expect(running.type).toBe('imagine');
		expect(running.request).toEqual(body);
		expect(fake.tasks.get(taskId)?.followUp).toEqual({ action: 'upscale2', sourceImageId: grid.image_id, sourceTaskId: grid.task_id });

		fake.finishTask(taskId);
		const record = (await retrieve(taskId)).json as TaskRecord;
		expect(keysOf(record)).toEqual(keysOf(example('task-record.json')));
		const result = record.response as EditsSuccess;
		expect(keysOf(result)).toEqual(withKeys(example('edits-success.json'), 'actions').filter((key) => key !== 'sub_image_urls'));
		expect(result).toMatchObject({ success: true, task_id: taskId, progress: 100, image_width: 480, image_height: 600 });
		expect(result.image_id).toMatch(/^\d{19}$/);
		expect(result.image_id).not.toBe(grid.image_id);
		expect(result.image_url).toMatch(new RegExp(`^${fake.url}/results/${taskId}/upscaled\\.png\\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]+$`));
		expect(result.actions).toEqual([
			'upscale_2x', 'upscale_4x', 'variation_subtle', 'variation_strong', 'variation_region',
			'zoom_out_2x', 'zoom_out_1_5x', 'pan_left', 'pan_right', 'pan_up', 'pan_down',
		]);
	});

	it('serves an upscale as upscaled.png: the chosen quarter of the source grid at 32x32; upscale_2x/4x the same quarter 2x/4x, with no further upscale offered', async () => {
		const { grid, upscaled } = await gridAndUpscale();
		const png = inspectPng((await download(upscaled.image_url)).bytes);
		expect([png.width, png.height]).toEqual([32, 32]);
		expect(png.pixelAt(31, 31)).toEqual(colourForQuarter(grid.task_id, 1));
		expect((await download(upscaled.image_url)).bytes.equals(upscaledImagePng(grid.task_id, 1, 1))).toBe(true);

		for (const [action, scale] of [['upscale_2x', 2], ['upscale_4x', 4]] as const) {
			const bigger = await finishedResult(await followUpAsync(upscaled.image_id, action));
			expect([bigger.image_width, bigger.image_height]).toEqual([480 * scale, 600 * scale]);
			expect((await download(bigger.image_url)).bytes.equals(upscaledImagePng(grid.task_id, 1, scale))).toBe(true);
			expect(bigger.actions).not.toContain('upscale_2x');
			expect(bigger.actions).not.toContain('upscale_4x');
			expect(bigger.actions).toContain('variation_subtle');
		}
		// An upscale has no grid and no quarters; a grid has no upscaled image.
		for (const imagePath of [`/results/${upscaled.task_id}/grid.png`, `/results/${upscaled.task_id}/0_0.png`, `/results/${grid.task_id}/upscaled.png`]) {
			expect([imagePath, (await download(`${fake.url}${imagePath}`)).status]).toEqual([imagePath, 404]);
		}
	});

	it.each([
		['variation3', 'grid'],
		['reroll', 'grid'],
		['variation_subtle', 'upscaled'],
		['variation_strong', 'upscaled'],
		['zoom_out_2x', 'upscaled'],
		['zoom_out_1_5x', 'upscaled'],
		['pan_left', 'upscaled'],
		['pan_right', 'upscaled'],
		['pan_up', 'upscaled'],
		['pan_down', 'upscaled'],
	] as const)('%s on the %s result makes a new grid of its own that offers the grid actions (split with split_images)', async (action, on) => {
		const results = await gridAndUpscale();
		const taskId = await followUpAsync(results[on].image_id, action, { split_images: true });
		const result = await finishedResult(taskId);
		expect(result.actions).toEqual([...GRID_ACTIONS]);
		expect([result.image_width, result.image_height]).toEqual([960, 1200]);
		expect(result.image_url).toContain(`/results/${taskId}/grid.png?`);
		expect(inspectPng((await download(result.image_url)).bytes).pixelAt(0, 0)).toEqual(colourForQuarter(taskId, 0));
		expect(result.sub_image_urls).toEqual([0, 1, 2, 3].map((n) => `${fake.url}/results/${taskId}/0_${n}.png`));
		expect((await download(result.sub_image_urls![3])).status).toBe(200);
	});

	it('variation_region needs a mask: 400 naming it without one; with one, a task that keeps the mask in its request', async () => {
		const { upscaled } = await gridAndUpscale();
		const withoutMask = await imagine({ action: 'variation_region', image_id: upscaled.image_id, async: true });
		expect(withoutMask.status).toBe(400);
		expect(withoutMask.json.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/mask is required/) });
		const tasksBefore = fake.tasks.size;

		const taskId = await followUpAsync(upscaled.image_id, 'variation_region', { mask: 'aGVsbG8gbWFzaw==', prompt: 'a hat' });
		expect(fake.tasks.size).toBe(tasksBefore + 1);
		expect(fake.tasks.get(taskId)?.mask).toEqual({ present: true, length: 16 });
		expect((await finishedRecord(taskId)).request).toMatchObject({ mask: 'aGVsbG8gbWFzaw==', prompt: 'a hat' });
	});

	it.each<[string, (results: { grid: EditsSuccess; upscaled: EditsSuccess }) => Record<string, unknown>, string, RegExp]>([
		['no action', ({ grid }) => ({ image_id: grid.image_id }), 'bad_request', /action is required/],
		['action generate (prompt-only generation is not modelled)', () => ({ action: 'generate', prompt: 'a cat' }), 'api_not_implemented', /generate/],
		['an unknown action', ({ grid }) => ({ action: 'upscale5', image_id: grid.image_id }), 'bad_request', /"upscale5" is unknown/],
		['no image_id', () => ({ action: 'upscale1' }), 'bad_request', /image_id is required/],
		['an image_id no result has', () => ({ action: 'upscale1', image_id: '1391372193836826624' }), 'bad_request', /not the image_id of a finished result/],
		['upscale_2x on a grid', ({ grid }) => ({ action: 'upscale_2x', image_id: grid.image_id }), 'bad_request', /"upscale_2x" does not apply .*offers: upscale1, upscale2, upscale3, upscale4, variation1, variation2, variation3, variation4, reroll$/],
		['upscale1 on an upscaled image', ({ upscaled }) => ({ action: 'upscale1', image_id: upscaled.image_id }), 'bad_request', /"upscale1" does not apply .*offers: upscale_2x, upscale_4x, variation_subtle/],
		['an unknown mode', ({ grid }) => ({ action: 'upscale1', image_id: grid.image_id, mode: 'slow' }), 'bad_request', /mode/],
		['a non-URL callback_url', ({ grid }) => ({ action: 'upscale1', image_id: grid.image_id, callback_url: 'not a url' }), 'bad_request', /callback_url/],
		['a mask that is not a string', ({ upscaled }) => ({ action: 'variation_region', image_id: upscaled.image_id, mask: 5 }), 'bad_request', /mask/],
	])('refuses %s with 400 in the error shape, before any task or submission fault', async (_case, bodyFor, code, message) => {
		const results = await gridAndUpscale();
		const tasksBefore = fake.tasks.size;
		fake.faults.submitRateLimit = 1;
		const answer = await imagine({ ...bodyFor(results), async: true });
		expect(answer.status).toBe(400);
		expect(keysOf(answer.json)).toEqual(keysOf(example('error.json')));
		expect(answer.json.error.code).toBe(code);
		expect(answer.json.error.message).toMatch(message);
		expect(fake.tasks.size).toBe(tasksBefore);
		expect(fake.faults.submitRateLimit).toBe(1);
	});

	it('refuses the image_id of an intermediate progress callback: only a finished result can be followed up', async () => {
		const receiver = await startReceiver();
		try {
			Object.assign(fake.faults, { progressCallbacks: true, neverFinish: true, jobDurationMs: 300 });
			await submit({ ...VALID_EDIT, callback_url: receiver.url });
			const progress = await fake.waitFor(() => receiver.received.find((entry) => (entry.body as { progress: number }).progress < 100));
			const intermediateId = (progress.body as { image_id: string }).image_id;
			expect(intermediateId).toMatch(/^\d{19}$/);
			const answer = await imagine({ action: 'upscale1', image_id: intermediateId, async: true });
			expect(answer.status).toBe(400);
			expect(answer.json.error.message).toMatch(/not the image_id of a finished result/);
		} finally {
			await receiver.close();
		}
	});

	it("imagineAcceptsEditImageIds off: an edit's image_id is refused like an unknown one; an imagine result's is still taken", async () => {
		expect(DEFAULT_FAULTS.imagineAcceptsEditImageIds).toBe(true);
		const { grid, upscaled } = await gridAndUpscale();
		expect((await call('POST', '/__fake/faults', { imagineAcceptsEditImageIds: false }, { token: null })).status).toBe(200);
		const refusedAnswer = await imagine({ action: 'upscale3', image_id: grid.image_id, async: true });
		expect(refusedAnswer.status).toBe(400);
		expect(refusedAnswer.json.error.message).toMatch(/not the image_id of a finished result/);
		await followUpAsync(upscaled.image_id, 'variation_subtle');
	});

	it('imagineNotAcquired: imagine answers 404 no_api like examples/error-no-api.json, even to a valid follow-up, while edits work', async () => {
		const grid = await finishedResult(await submitAsync());
		expect(DEFAULT_FAULTS.imagineNotAcquired).toBe(false);
		expect((await call('POST', '/__fake/faults', { imagineNotAcquired: true, errorsWithoutSuccess: true }, { token: null })).status).toBe(200);
		const tasksBefore = fake.tasks.size;
		const answer = await imagine({ action: 'upscale1', image_id: grid.image_id, async: true });
		expect(answer.status).toBe(404);
		expect(answer.json.error.code).toBe('no_api');
		expect(keysOf(answer.json)).toEqual(keysOf(example('error-no-api.json')));
		expect(fake.tasks.size).toBe(tasksBefore);
		expect((await submit({ ...VALID_EDIT, async: true })).status).toBe(200);
		// The token is still checked first.
		expect((await imagine({ action: 'upscale1', image_id: grid.image_id }, { token: 'wrong-token' })).status).toBe(401);
	});

	it('without async or callback_url holds the connection and answers the result; a failing follow-up answers the error', async () => {
		const grid = await finishedResult(await submitAsync());
		const answer = await imagine({ action: 'variation1', image_id: grid.image_id });
		expect(answer.status).toBe(200);
		expect(answer.json).toEqual(fake.tasks.get(answer.json.task_id)?.record.response);
		expect(fake.tasks.get(answer.json.task_id)?.record.type).toBe('imagine');

		const failing = await imagine({ action: 'reroll', image_id: grid.image_id, prompt: 'something [fail]' });
		expect(failing.status).toBe(403);
		expect(keysOf(failing.json)).toEqual(keysOf(example('error.json')));
		expect(failing.json.error.code).toBe('forbidden');
	});

	it("with callback_url answers {task_id} and POSTs the follow-up's result like an edit's; callbackMode applies", async () => {
		const receiver = await startReceiver();
		try {
			const grid = await finishedResult(await submitAsync());
			fake.faults.callbackMode = 'duplicate';
			const answer = await imagine({ action: 'upscale4', image_id: grid.image_id, callback_url: receiver.url });
			expect(keysOf(answer.json)).toEqual(keysOf(example('edits-async-ack.json')));
			await fake.waitFor(() => receiver.received.length === 2);
			const record = (await retrieve(answer.json.task_id)).json as TaskRecord;
			expect(receiver.received.map((entry) => entry.body)).toEqual([record.response, record.response]);
			expect((record.response as EditsSuccess).actions).toContain('zoom_out_2x');
			expect(fake.callbacks.map((delivery) => [delivery.taskId, delivery.attempt])).toEqual([
				[answer.json.task_id, 1],
				[answer.json.task_id, 2],
			]);
		} finally {
			await receiver.close();
		}
	});

	it('resultsWithoutActions: results leave actions out as examples/edits-success.json does; follow-ups are still checked against what the image offers', async () => {
		fake.faults.resultsWithoutActions = true;
		const grid = await finishedResult(await submitAsync());
		expect(keysOf(grid)).toEqual(keysOf(example('edits-success.json')).filter((key) => key !== 'sub_image_urls'));
		const refusedAnswer = await imagine({ action: 'upscale_2x', image_id: grid.image_id, async: true });
		expect(refusedAnswer.status).toBe(400);
		expect(refusedAnswer.json.error.message).toMatch(/offers: upscale1, upscale2/);
		const upscaled = await finishedResult(await followUpAsync(grid.image_id, 'upscale2'));
		expect(upscaled).not.toHaveProperty('actions');
		expect((await imagine({ action: 'upscale1', image_id: upscaled.image_id, async: true })).status).toBe(400);
		await followUpAsync(upscaled.image_id, 'upscale_4x');
	});

	it('retrieve_batch answers imagine records beside edit records', async () => {
		const grid = await finishedResult(await submitAsync());
		const followUpId = await followUpAsync(grid.image_id, 'reroll');
		const batch = await lookup({ action: 'retrieve_batch', ids: [grid.task_id, followUpId] });
		expect(batch.json.items.map((record: TaskRecord) => [record.id, record.type])).toEqual([
			[grid.task_id, 'edits'],
			[followUpId, 'imagine'],
		]);
	});

	it('the submission faults apply to follow-ups: submitRateLimit, submitForbidden, submitServerError, submitDropConnection, apiErrors, submitsPerSecond', async () => {
		const grid = await finishedResult(await submitAsync());
		const valid = { action: 'upscale1', image_id: grid.image_id, async: true };
		const tasksBefore = fake.tasks.size;
		fake.faults.submitRateLimit = 1;
		expect((await imagine(valid)).status).toBe(429);
		Object.assign(fake.faults, { submitForbidden: 1, forbiddenCode: 'used_up' });
		expect((await imagine(valid)).json.error.code).toBe('used_up');
		fake.faults.submitServerError = 1;
		expect((await imagine(valid)).status).toBe(500);
		Object.assign(fake.faults, { apiErrors: 1, apiErrorCode: 'token_expired' });
		expect((await imagine(valid)).status).toBe(401);
		expect(fake.tasks.size).toBe(tasksBefore);

		fake.faults.submitDropConnection = 1;
		await expect(imagine(valid)).rejects.toThrow();
		expect(fake.tasks.size).toBe(tasksBefore + 1);

		fake.faults.submitsPerSecond = 1; // the dropped submission's task was created within the last second
		expect((await imagine(valid)).status).toBe(429);
	});

	it('the task faults apply to follow-ups: neverFinish, taskStates, generatingResponse, failTasks, sizesAsStrings', async () => {
		const grid = await finishedResult(await submitAsync());
		Object.assign(fake.faults, { neverFinish: true, taskStates: true, generatingResponse: true, sizesAsStrings: true });
		const taskId = await followUpAsync(grid.image_id, 'upscale1');
		expect((await retrieve(taskId)).json).toMatchObject({ state: 'generating', finished_at: null, response: { success: false, progress: 40 } });
		fake.finishTask(taskId);
		expect((await retrieve(taskId)).json).toMatchObject({ state: 'finished', response: { success: true, image_width: '480', image_height: '600' } });

		Object.assign(fake.faults, { neverFinish: false, taskStates: false, generatingResponse: false, failTasks: true });
		const failed = await finishedRecord(await followUpAsync(grid.image_id, 'variation2'));
		expect(failed.response).toMatchObject({ success: false, error: { code: 'forbidden' } });
	});
});

describe('PNG generator', () => {
	it('writes the PNG signature, an IHDR chunk with a correct CRC, IDAT and IEND', () => {
		const png = resultImagePng('some-task', 2);
		expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
		expect(png.readUInt32BE(8)).toBe(13);
		expect(png.toString('ascii', 12, 16)).toBe('IHDR');
		expect(png.readUInt32BE(29)).toBe(crc32(png.subarray(12, 29)));
		expect(png.toString('ascii', png.length - 8, png.length - 4)).toBe('IEND');
	});

	it('computes the standard CRC-32', () => {
		expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
	});

	it('rejects a corrupted PNG', () => {
		const png = Buffer.from(resultImagePng('some-task', 1));
		png[20] ^= 0xff; // inside the IHDR data
		expect(() => inspectPng(png)).toThrow(/CRC/);
		expect(() => inspectPng(Buffer.from('not a png at all, clearly not'))).toThrow(/signature/);
	});
});

describe('control surface and helpers', () => {
	const control = (method: string, urlPath: string, body?: unknown) => call(method, urlPath, body, { token: null });

	it('merges POST /__fake/faults into faults, rejects unknown or mistyped fields, and resets a field with null', async () => {
		const merged = await control('POST', '/__fake/faults', { submitRateLimit: 1, callbackMode: 'late' });
		expect(merged.status).toBe(200);
		expect(merged.json).toMatchObject({ submitRateLimit: 1, callbackMode: 'late', tasksRateLimit: 0 });
		expect(fake.faults).toMatchObject({ submitRateLimit: 1, callbackMode: 'late' });

		expect((await control('POST', '/__fake/faults', { submitRatelimit: 1 })).json.error.message).toMatch(/unknown fault/);
		expect((await control('POST', '/__fake/faults', { callbackMode: 'sometimes' })).status).toBe(400);
		expect((await control('POST', '/__fake/faults', { submitRateLimit: 'two' })).status).toBe(400);
		expect((await control('POST', '/__fake/faults', { toString: 1 })).status).toBe(400);

		await control('POST', '/__fake/faults', { callbackMode: null, jobDurationMs: 50 });
		await control('POST', '/__fake/faults', { jobDurationMs: null });
		expect(fake.faults.callbackMode).toBe('once');
		expect(fake.faults).not.toHaveProperty('jobDurationMs');
		expect((await control('GET', '/__fake/faults')).json).toEqual(fake.faults);
	});

	it('lists requests, tasks and callbacks, finishes tasks and sends callbacks, all without a token and unlogged', async () => {
		const receiver = await startReceiver();
		try {
			fake.faults.neverFinish = true;
			const taskId = (await submit({ ...VALID_EDIT, callback_url: receiver.url })).json.task_id as string;

			const tasks = (await control('GET', '/__fake/tasks')).json;
			expect(tasks).toEqual([expect.objectContaining({ id: taskId, state: 'running', callbackUrl: receiver.url })]);

			expect((await control('POST', `/__fake/tasks/${taskId}/callback`)).status).toBe(409);
			const finished = await control('POST', `/__fake/tasks/${taskId}/finish`, { outcome: 'failure' });
			expect(finished.json).toMatchObject({ id: taskId, state: 'failed' });
			expect((await control('POST', `/__fake/tasks/${taskId}/finish`)).status).toBe(409);
			expect((await control('POST', '/__fake/tasks/unknown/finish')).status).toBe(404);
			await fake.waitFor(() => fake.callbacks.length === 1);

			const resent = await control('POST', `/__fake/tasks/${taskId}/callback`);
			expect(resent.json).toMatchObject({ taskId, status: 200, attempt: 2 });
			expect((await control('GET', '/__fake/callbacks')).json).toHaveLength(2);

			const logged = (await control('GET', '/__fake/requests')).json;
			expect(logged).toEqual([expect.objectContaining({ method: 'POST', path: '/midjourney/edits' })]);
		} finally {
			await receiver.close();
		}
	});

	it('POST /__fake/reset and reset() clear tasks, requests, callbacks, uploads and faults (same faults object)', async () => {
		const faults = fake.faults;
		await submitAsync();
		await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN, rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png') });
		Object.assign(fake.faults, { submitRateLimit: 3, jobDurationMs: 9 });
		expect((await control('POST', '/__fake/reset')).json).toEqual({ ok: true });
		expect(fake.tasks.size + fake.requests.length + fake.callbacks.length + fake.uploads.size).toBe(0);
		expect(fake.faults).toBe(faults);
		expect({ ...fake.faults }).toEqual({ ...DEFAULT_FAULTS });
	});

	it('counts requests with count() and filters lookups with tasksRequestsFor()', async () => {
		const taskId = await submitAsync();
		await retrieve(taskId);
		await retrieve(taskId);
		await lookup({ action: 'retrieve_batch', ids: [taskId] });
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		expect(fake.count('post', '/midjourney/tasks')).toBe(3);
		expect(fake.count('POST', '/midjourney/tasks', (entry) => (entry.body as { id?: string }).id === taskId)).toBe(2);
		expect(fake.tasksRequestsFor('retrieve')).toHaveLength(2);
		expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(1);
	});

	it('waitFor resolves with the first truthy value and rejects after the timeout', async () => {
		let ready = false;
		setTimeout(() => (ready = true), 50);
		await expect(fake.waitFor(() => ready && 'done', 1000)).resolves.toBe('done');
		await expect(fake.waitFor(() => false, 100)).rejects.toThrow(/within 100 ms/);
	});

	it('answers 404 in the error shape for an unknown route', async () => {
		const answer = await call('GET', '/midjourney/imagine');
		expect(answer.status).toBe(404);
		expect(keysOf(answer.json)).toEqual(keysOf(example('error.json')));
	});

	it('hands out result and upload URLs under publicBaseUrl', async () => {
		const other = await startFakeAceDataCloud({ jobDurationMs: 10, publicBaseUrl: 'http://public.example.test:8080/' });
		try {
			const answer = await submit({ ...VALID_EDIT, split_images: true }, { baseUrl: other.url });
			expect(answer.json.image_url).toMatch(/^http:\/\/public\.example\.test:8080\/results\//);
			expect(answer.json.sub_image_urls[0]).toMatch(/^http:\/\/public\.example\.test:8080\/results\//);
			const upload = await call('POST', '/api/v1/files/', undefined, { token: DEFAULT_PLATFORM_TOKEN,
				baseUrl: other.url,
				rawBody: uploadForm(Buffer.from('x'), 'a.png', 'image/png'),
			});
			expect(upload.json.file_url).toMatch(/^http:\/\/public\.example\.test:8080\/uploads\//);
		} finally {
			await other.close();
		}
	});
});

describe('command-line entry', () => {
	it('parses its flags and refuses unknown ones', () => {
		expect(parseCliArguments(['--port', '4010', '--host=127.0.0.1', '--job-ms', '50', '--token', 'a', '--token=b'])).toEqual({
			port: 4010,
			host: '127.0.0.1',
			jobDurationMs: 50,
			validTokens: ['a', 'b'],
		});
		expect(parseCliArguments([])).toEqual({});
		expect(() => parseCliArguments(['--verbose'])).toThrow(/unknown argument/);
		expect(() => parseCliArguments(['--port', 'abc'])).toThrow(/non-negative integer/);
		expect(() => parseCliArguments(['--token'])).toThrow(/needs a value/);
	});

	it('runs as a process: prints one JSON line when ready, serves the API, and stops on SIGTERM', async () => {
		// Compile the three files to plain JavaScript, as `tsc` would, and run them with node.
		const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-api-cli-'));
		try {
			for (const name of ['cli', 'fakeAceDataCloud', 'pngs']) {
				const source = fs.readFileSync(path.join(__dirname, `${name}.ts`), 'utf8');
				const { outputText } = ts.transpileModule(source, {
					compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true },
				});
				fs.writeFileSync(path.join(outDir, `${name}.js`), outputText);
			}
			const child = spawn(process.execPath, [path.join(outDir, 'cli.js'), '--port', '0', '--token', 'cli-token', '--job-ms', '20'], {
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			try {
				let stdout = '';
				child.stdout.setEncoding('utf8');
				child.stdout.on('data', (chunk: string) => (stdout += chunk));
				const deadline = Date.now() + 10_000;
				while (!stdout.includes('\n') && Date.now() < deadline && child.exitCode === null) await sleep(20);
				const ready = JSON.parse(stdout.split('\n')[0]) as { url: string; port: number };
				expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);

				const sync = await submit(VALID_EDIT, { baseUrl: ready.url, token: 'cli-token' });
				expect(sync.json.success).toBe(true);
				expect((await lookup({ action: 'retrieve_batch', ids: [] }, { baseUrl: ready.url })).status).toBe(401);
				expect((await call('GET', '/__fake/requests', undefined, { baseUrl: ready.url, token: null })).json).toHaveLength(2);

				const exited = once(child, 'exit');
				child.kill('SIGTERM');
				const [code] = await exited;
				expect(code).toBe(0);
				expect(stdout.trim().split('\n')).toHaveLength(1);
			} finally {
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			}
		} finally {
			fs.rmSync(outDir, { recursive: true, force: true });
		}
	});
});
