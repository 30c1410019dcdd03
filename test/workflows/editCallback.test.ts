/**
 * "Wait for Callback": the execution waits, the API posts the result to the execution's resume
 * URL (over real HTTP, to the harness's listener), and the node's output is the result.
 */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { resumeAfterWaitTimeout, resumeWaitingExecution, waitForResumedRun } from '../harness';
import { CAT, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const callbackMode = (options: Record<string, unknown> = {}) => ({
	waitMode: 'callback',
	options: { timeoutSeconds: 120, allowPrivateCallbackUrl: true, ...options },
});

describe('wait for callback', () => {
	it('waits, then finishes with the callback result in the same shape as poll mode', async () => {
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		expect(waiting.status).toBe('waiting');
		expect(waiting.waitTill!.getTime()).toBeGreaterThan(Date.now() + 100_000);
		const submitted = fake.requests.find((entry) => entry.path === '/midjourney/edits')!.body as Record<string, unknown>;
		expect(submitted.callback_url).toBe(waiting.resumeUrl);
		expect(submitted.async).toBeUndefined();

		const resumed = await waitForResumedRun(waiting, { timeoutMs: 5000 });
		expect(resumed.status).toBe('success');
		const [item] = resumed.nodeOutputs('Midjourney Edits');
		const taskId = [...fake.tasks.keys()][0];
		expect(item.json).toMatchObject({ success: true, task_id: taskId, image_width: 960 });
		expect(item.json.image_url).toEqual(expect.any(String));
		expect(fake.count('POST', '/midjourney/tasks')).toBe(0);
	});

	it('downloads the images when asked, inside the callback', async () => {
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode({ downloadImages: 'split' }));
		const resumed = await waitForResumedRun(waiting, { timeoutMs: 5000 });
		const output = resumed.nodeOutputs('Midjourney Edits');
		expect(output).toHaveLength(4);
		expect(output.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
	});

	it('a failed task comes out as an item with success false and the reason', async () => {
		const waiting = await runEdit(fake, [{ json: { ...CAT, prompt: 'x [fail]' } }], callbackMode());
		const resumed = await waitForResumedRun(waiting, { timeoutMs: 5000 });
		const [item] = resumed.nodeOutputs('Midjourney Edits');
		expect(item.json).toMatchObject({ success: false, error: expect.stringMatching(/moderation/) });
	});

	it('a repeated callback does not run the rest of the workflow again', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const taskId = [...fake.tasks.keys()][0];
		await fake.waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 3000);
		const body = fake.tasks.get(taskId)!.record.response as unknown as Record<string, unknown>;
		const first = await resumeWaitingExecution(waiting, { body });
		expect(first.status).toBe('success');
		const again = await resumeWaitingExecution(waiting, { body });
		expect(again.resumeResponse?.statusCode).toBe(409);
	});

	it('when no callback comes before the timeout, the item names the task to fetch later', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode({ timeoutSeconds: 30 }));
		const taskId = [...fake.tasks.keys()][0];
		const timedOut = await resumeAfterWaitTimeout(waiting);
		expect(timedOut.status).toBe('success');
		const [item] = timedOut.nodeOutputs('Midjourney Edits');
		expect(item.json).toMatchObject({ task_id: taskId, success: false });
		expect(item.json.error).toMatch(/No callback arrived within 30 seconds.*Task → Get/);
	});

	it('takes one item per execution, and says so before submitting anything', async () => {
		const result = await runEdit(fake, [{ json: CAT }, { json: CAT }], callbackMode());
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/one item per execution, but this node got 2 items/);
		expect(fake.requests).toHaveLength(0);
	});

	it('refuses a resume URL the API cannot reach unless the user opts in', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'callback', options: { timeoutSeconds: 60 } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toBe('The API cannot call back this n8n: its address is private');
		expect(String((result.error as { description?: string }).description)).toMatch(/WEBHOOK_URL.*Poll Until Done/);
		expect(fake.requests).toHaveLength(0);
	});
});
