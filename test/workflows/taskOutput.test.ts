/**
 * Issue 12: Task → Get / Get Many never output signature material of a callback link (ours or
 * n8n's own), and do not copy a megabyte mask into every output item.
 * Issue 15: Simplify (on by default) gives the fields a user maps next, the same as a simplified Edit;
 * off gives the API's record as before.
 */
import { signCallbackUrl } from '../../nodes/shared/callbackSignature';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { MODERATION_ERROR, startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { CAT, createEditTask, runEdit, tasksInEveryState, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 50, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const RESUME_URL = 'https://n8n.example.test/webhook-waiting/7?signature=0123456789abcdef';
const MASK = 'A'.repeat(400_000);

async function taskWithSignedCallback(): Promise<string> {
	fake.faults.callbackMode = 'never';
	const response = await fetch(`${fake.url}/midjourney/edits`, {
		method: 'POST',
		headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
		body: JSON.stringify({
			action: 'generate',
			image_url: 'https://cdn.example.test/a.png',
			prompt: 'p',
			mask: MASK,
			callback_url: signCallbackUrl(RESUME_URL, TOKEN),
		}),
	});
	return ((await response.json()) as { task_id: string }).task_id;
}

describe('task records in the output', () => {
	it.each([
		['Get', (taskId: string) => ({ resource: 'task', operation: 'get', taskId, simplify: false })],
		['Get Many', (taskId: string) => ({ resource: 'task', operation: 'getMany', taskIds: taskId, simplify: false })],
	])('Task → %s with Simplify off strips signature parameters from request.callback_url and abbreviates the mask', async (_name, parameters) => {
		const taskId = await taskWithSignedCallback();
		const result = await runEdit(fake, [{ json: {} }], parameters(taskId));
		expect(result.status).toBe('success');
		const [item] = result.nodeOutputs('Midjourney Edits');
		const request = item.json.request as Record<string, unknown>;
		expect(request.callback_url).toBe('https://n8n.example.test/webhook-waiting/7');
		expect(JSON.stringify(item.json)).not.toMatch(/mj_sig|mj_nonce|signature=/);
		expect(request.mask).toBe(`(mask omitted: ${MASK.length} base64 characters)`);
		expect(JSON.stringify(item.json).length).toBeLessThan(10_000);
	});
});

/** Creates a task straight on the fake (async), as a "Don't Wait" edit would have. */
const createTask = (prompt = CAT.prompt) => createEditTask(fake, prompt, { split_images: true });

const lookUp = async (parameters: Record<string, unknown>) => {
	const result = await runEdit(fake, [{ json: {} }], { resource: 'task', ...parameters });
	expect(result.error).toBeUndefined();
	return result.nodeOutputs('Midjourney Edits').map((item) => item.json);
};

describe('Simplify on Task → Get / Get Many (the default)', () => {
	it('Task → Get of a finished task gives the fields a user maps next, the same as a simplified Edit; off gives the record', async () => {
		const taskId = await createTask();
		fake.finishTask(taskId);
		const [json] = await lookUp({ operation: 'get', taskId });
		const response = fake.tasks.get(taskId)!.record.response as unknown as Record<string, unknown>;
		expect(json).toEqual({
			task_id: taskId,
			status: 'succeeded',
			image_url: response.image_url,
			sub_image_urls: response.sub_image_urls,
			image_width: response.image_width,
			image_height: response.image_height,
			image_id: response.image_id,
			actions: response.actions,
			success: true,
		});
		// n8n's rule for Simplify: at most 10 fields, flat, the most used at the top.
		expect(Object.keys(json).slice(0, 3)).toEqual(['task_id', 'status', 'image_url']);

		// Simplify off: the API's record as before (id, request, response), the same from Get Many.
		const [raw] = await lookUp({ operation: 'get', taskId, simplify: false });
		expect(raw).toMatchObject({ id: taskId, status: 'succeeded', request: expect.any(Object), response: expect.objectContaining({ success: true }) });
		const [rawFromMany] = await lookUp({ operation: 'getMany', taskIds: taskId, simplify: false });
		expect(rawFromMany).toEqual(raw);
	});

	it('Task → Get Many gives a finished, a failed, a running and an unknown task simplified, in order', async () => {
		const { finished, failed, running } = await tasksInEveryState(fake, { split_images: true });

		const items = await lookUp({ operation: 'getMany', taskIds: [finished, failed, running, 'no-such-task'].join(',') });
		expect(items.map((json) => [json.task_id, json.status])).toEqual([
			[finished, 'succeeded'],
			[failed, 'failed'],
			[running, 'running'],
			['no-such-task', 'not_found'],
		]);
		expect(items[0]).toMatchObject({ image_url: expect.any(String), image_id: expect.any(String), actions: expect.any(Array) });
		expect(items[1]).toEqual({ task_id: failed, status: 'failed', success: false, error: MODERATION_ERROR.message, error_code: MODERATION_ERROR.code });
		expect(items[2]).toEqual({ task_id: running, status: 'running' });
		expect(items[3]).toEqual({ task_id: 'no-such-task', status: 'not_found' });
		for (const json of items) {
			expect(Object.keys(json).length).toBeLessThanOrEqual(10);
			expect(json).not.toHaveProperty('request');
			expect(json).not.toHaveProperty('response');
		}
	});

});
