/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The edit operation in "poll" and "none" modes, run as a whole workflow through n8n-core's engine
 * against the fake API over real HTTP.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { MidjourneyEdits } from '../../nodes/MidjourneyEdits/MidjourneyEdits.node';
import { SIGNATURE_PARAMS, verifyCallbackSignature } from '../../nodes/shared/callbackSignature';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { CAT, NODE_TYPES, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 300, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const submits = () => fake.requests.filter((entry) => entry.path === '/midjourney/edits');
const submitBodies = () => submits().map((entry) => entry.body as Record<string, unknown>);

describe('poll mode', () => {
	it('submits asynchronously, polls, and outputs the API result fields as they are', async () => {
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.status).toBe('success');
		const [item] = result.nodeOutputs('Midjourney Edits');
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			success: true,
			progress: 100,
			image_width: 960,
			image_height: 1200,
		});
		for (const field of ['task_id', 'image_id', 'image_url', 'raw_image_url']) {
			expect(typeof item.json[field]).toBe('string');
		}
		expect(submitBodies()).toEqual([
			{
				action: 'generate',
				image_url: CAT.imageUrl,
				prompt: CAT.prompt,
				mode: 'fast',
				// The fixture's Output is Links Only, which comes with the four images' links.
				split_images: true,
				async: true,
			},
		]);
		expect(fake.requests.every((entry) => entry.authorized)).toBe(true);
		expect(fake.tasksRequestsFor('retrieve_batch').length).toBeGreaterThanOrEqual(1);
		expect(result.requestedCredentialTypes).toContain('aceDataCloudApi');
	});

	it('sends every API field the user sets', async () => {
		const mask = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
		const result = await runEdit(fake, [{ json: CAT }], {
			mode: 'turbo',
			output: 'split',
			options: { maskBase64: `data:image/png;base64,${mask}` },
		});
		expect(result.status).toBe('success');
		expect(submitBodies()[0]).toMatchObject({ mode: 'turbo', split_images: true, mask });
		expect(result.nodeOutputs('Midjourney Edits')).toHaveLength(4);
	});

	it('accepts sizes sent as strings and outputs numbers', async () => {
		fake.faults.sizesAsStrings = true;
		const result = await runEdit(fake, [{ json: CAT }]);
		expect(result.nodeOutputs('Midjourney Edits')[0].json).toMatchObject({ image_width: 960, raw_image_height: 1200 });
	});

	it('fails the item when Midjourney fails the task, naming the task and the API reason', async () => {
		const result = await runEdit(fake, [{ json: { ...CAT, prompt: 'something [fail]' } }]);
		expect(result.status).toBe('error');
		const taskId = [...fake.tasks.keys()][0];
		expect(result.error?.message).toContain(taskId);
		expect(result.error?.message).toMatch(/moderation/);
		expect((result.error as { description?: string }).description).toMatch(/forbidden/);
	});

	it('stops at the timeout, names the task id and how to fetch it later', async () => {
		fake.faults.neverFinish = true;
		const result = await runEdit(fake, [{ json: CAT }], { options: { pollIntervalSeconds: 1, timeoutSeconds: 2 } });
		expect(result.status).toBe('error');
		const taskId = [...fake.tasks.keys()][0];
		expect(result.error?.message).toBe(`Task ${taskId} did not finish within 2 seconds (last seen: running) [item 1]`);
		expect((result.error as { description?: string }).description).toMatch(/Get \(Task resource\)/);
		// It gave up at the deadline instead of polling on: at most timeout / interval rounds (+1 at the deadline).
		const polls = fake.tasksRequestsFor('retrieve_batch').length;
		expect(polls).toBeGreaterThanOrEqual(1);
		expect(polls).toBeLessThanOrEqual(3);
	});

	it('stops when the user cancels the execution, without waiting out the poll interval or polling again', async () => {
		fake.faults.neverFinish = true;
		// The node's execute() settling is the positive signal that it stopped (it returns or throws).
		let nodeSettled!: () => void;
		const settled = new Promise<void>((resolve) => (nodeSettled = resolve));
		class ObservedEdits extends MidjourneyEdits {
			async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
				try {
					return await MidjourneyEdits.prototype.execute.call(this);
				} finally {
					nodeSettled();
				}
			}
		}
		// A 300 s interval: a pause the cancel did not interrupt would outlast the generous 30 s wait below.
		const result = await runEdit(fake, [{ json: CAT }], { options: { pollIntervalSeconds: 300, timeoutSeconds: 600 } }, {
			nodeTypes: { ...NODE_TYPES, 'n8n-nodes-midjourney-edits.midjourneyEdits': ObservedEdits },
			cancelWhen: fake.waitFor(() => fake.tasks.size === 1, 30_000),
		});
		expect(result.status).toBe('canceled');
		await Promise.race([
			settled,
			new Promise((_, reject) => setTimeout(() => reject(new Error('the node did not stop within 30 s of the cancel')), 30_000).unref()),
		]);
		// Cancelled during its first wait: the one submission, no poll round, nothing after.
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(0);
		expect(fake.requests).toHaveLength(1);
	}, 60_000);

	it('polls a whole batch with one tasks request per round and keeps input order', async () => {
		const input = Array.from({ length: 6 }, (_, index) => ({ json: { ...CAT, prompt: `edit number ${index}` } }));
		const result = await runEdit(fake, input, { options: { pollIntervalSeconds: 1, timeoutSeconds: 30, concurrency: 3 } });
		expect(result.status).toBe('success');
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.pairedItem)).toEqual(input.map((_, item) => ({ item })));
		const promptOf = (taskId: unknown) => (fake.tasks.get(String(taskId))!.record.request as { prompt: string }).prompt;
		expect(output.map((item) => promptOf(item.json.task_id))).toEqual(input.map((item) => item.json.prompt));
		const polls = fake.tasksRequestsFor('retrieve_batch');
		expect(polls.length).toBeGreaterThanOrEqual(1);
		expect((polls[0].body as { ids: string[] }).ids).toHaveLength(6);
		expect(fake.tasksRequestsFor('retrieve')).toHaveLength(0);
	});
});

describe('none mode', () => {
	it('returns the task id at once without polling', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'none' });
		expect(result.status).toBe('success');
		const [item] = result.nodeOutputs('Midjourney Edits');
		expect(item.json).toEqual({ task_id: [...fake.tasks.keys()][0] });
		expect(submitBodies()[0]).toMatchObject({ async: true });
		expect(fake.count('POST', '/midjourney/tasks')).toBe(0);
	});

	it('sends a signed callback URL, and the API later posts the result there', async () => {
		const received: Array<{ url: string; body: Record<string, unknown> }> = [];
		const receiver = http.createServer((req, res) => {
			let raw = '';
			req.on('data', (chunk) => (raw += chunk));
			req.on('end', () => {
				received.push({ url: req.url ?? '', body: JSON.parse(raw) });
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook/abc/callback`;
		try {
			const result = await runEdit(fake, [{ json: CAT }], {
				waitMode: 'none',
				options: { callbackUrl, allowPrivateCallbackUrl: true },
			});
			expect(result.status).toBe('success');
			const taskId = result.nodeOutputs('Midjourney Edits')[0].json.task_id;
			const sent = String(submitBodies()[0].callback_url);
			expect(sent.startsWith(`${callbackUrl}?`)).toBe(true);
			expect(submitBodies()[0].async).toBeUndefined();
			await fake.waitFor(() => received.length > 0, 30_000);
			expect(received[0].body).toMatchObject({ task_id: taskId, success: true });
			const url = new URL(received[0].url, 'http://127.0.0.1');
			const query = Object.fromEntries(url.searchParams.entries());
			expect(Object.keys(query)).toEqual(expect.arrayContaining(Object.values(SIGNATURE_PARAMS)));
			expect(verifyCallbackSignature(`${callbackUrl}`, query, TOKEN, { maxAgeSeconds: 60 })).toEqual({ valid: true });
		} finally {
			receiver.close();
		}
	});

	it('refuses a private callback URL unless the user opts in, before any request', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'none', options: { callbackUrl: 'http://localhost:5678/webhook/x/callback' } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Callback URL.*private address/);
		expect(fake.requests).toHaveLength(0);
	});
});
