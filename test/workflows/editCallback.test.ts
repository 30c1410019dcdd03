/**
 * "Wait for Callback": the execution waits, the API posts the result to the execution's resume
 * URL (over real HTTP, to the harness's listener), and the node's output is the result.
 */
import { SIGNATURE_PARAMS } from '../../nodes/shared/callbackSignature';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { resumeAfterWaitTimeout, resumeWaitingExecution, waitForResumedRun } from '../harness';
import { callbackMode, CAT, runEdit, submittedCallbackUrl, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

describe('wait for callback', () => {
	it('waits, then finishes with the callback result in the same shape as poll mode', async () => {
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		expect(waiting.status).toBe('waiting');
		// The 120 s timeout counts from the submission (the API saw it before the node's clock started).
		const submission = fake.requests.find((entry) => entry.path === '/midjourney/edits')!;
		expect(waiting.waitTill!.getTime()).toBeGreaterThanOrEqual(submission.at + 120_000);
		expect(waiting.waitTill!.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);
		const submitted = submission.body as Record<string, unknown>;
		// n8n's resume URL, with n8n's own token kept and our signature beside it.
		const callbackUrl = new URL(String(submitted.callback_url));
		const resumeUrl = new URL(waiting.resumeUrl);
		expect(callbackUrl.origin + callbackUrl.pathname).toBe(resumeUrl.origin + resumeUrl.pathname);
		expect(callbackUrl.searchParams.get('signature')).toBe(resumeUrl.searchParams.get('signature'));
		expect(callbackUrl.searchParams.get(SIGNATURE_PARAMS.signature)).toMatch(/^[0-9a-f]{64}$/);
		expect(String(submitted.callback_url)).not.toContain(TOKEN);
		expect(submitted.async).toBeUndefined();

		const resumed = await waitForResumedRun(waiting, { timeoutMs: 30_000 });
		expect(resumed.status).toBe('success');
		const [item] = resumed.nodeOutputs('Midjourney Edits');
		const taskId = [...fake.tasks.keys()][0];
		expect(item.json).toMatchObject({ success: true, task_id: taskId, image_width: 960 });
		expect(item.json.image_url).toEqual(expect.any(String));
		// The callback only woke the execution: the result came from one lookup of the task record.
		expect(fake.count('POST', '/midjourney/tasks')).toBe(1);
	});

	it('downloads the images when asked, inside the callback', async () => {
		const waiting = await runEdit(fake, [{ json: CAT }], { ...callbackMode(), output: 'split' });
		const resumed = await waitForResumedRun(waiting, { timeoutMs: 30_000 });
		const output = resumed.nodeOutputs('Midjourney Edits');
		expect(output).toHaveLength(4);
		expect(output.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
	});

	it('a failed task comes out as an item with success false and the reason', async () => {
		const waiting = await runEdit(fake, [{ json: { ...CAT, prompt: 'x [fail]' } }], callbackMode());
		const resumed = await waitForResumedRun(waiting, { timeoutMs: 30_000 });
		const [item] = resumed.nodeOutputs('Midjourney Edits');
		expect(item.json).toMatchObject({ success: false, error: expect.stringMatching(/moderation/) });
	});

	it('the same callback arriving twice at once resumes once: the node itself refuses the second', async () => {
		// n8n 1.x resumes a waiting execution once per concurrent request; the node must refuse the
		// repeat itself. Both requests reach the node here (the harness, like n8n 1.x, marks the
		// execution running only once the webhook is under way), so the refusal is the node's answer.
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const taskId = [...fake.tasks.keys()][0];
		await fake.waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 30_000);
		const body = fake.tasks.get(taskId)!.record.response as unknown as Record<string, unknown>;
		const answers = await Promise.all([0, 1].map(() => resumeWaitingExecution(waiting, { body, url: submittedCallbackUrl(fake) })));
		// Each request looks the task up first, so the second may reach the node after the first has
		// resumed the execution: count the node's answers, not the execution's latest status.
		const resumed = answers.filter((answer) => answer.status === 'success' && (answer.resumeResponse?.body as { duplicate?: boolean })?.duplicate !== true);
		expect(resumed).toHaveLength(1);
		const refused = answers.find((answer) => answer !== resumed[0])!;
		expect(refused.resumeResponse).toMatchObject({ statusCode: 200, body: { received: true, duplicate: true } });
	});

	it('refuses a made-up result posted without our signature, and keeps waiting for the real one', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const taskId = [...fake.tasks.keys()][0];
		const forged = { task_id: taskId, success: true, image_url: 'https://attacker.example/fake.png' };

		// The bare resume URL is what anyone can guess on n8n 1.x (sequential execution ids).
		const unsigned = await resumeWaitingExecution(waiting, { body: forged });
		expect(unsigned.resumeResponse?.statusCode).toBe(401);
		expect(unsigned.status).toBe('waiting');

		const tampered = new URL(submittedCallbackUrl(fake));
		tampered.searchParams.set(SIGNATURE_PARAMS.signature, '0'.repeat(64));
		const wrong = await resumeWaitingExecution(waiting, { body: forged, url: tampered.toString() });
		expect(wrong.resumeResponse?.statusCode).toBe(403);
		expect(wrong.status).toBe('waiting');

		await fake.waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 30_000);
		const body = fake.tasks.get(taskId)!.record.response as unknown as Record<string, unknown>;
		const resumed = await resumeWaitingExecution(waiting, { body, url: submittedCallbackUrl(fake) });
		expect(resumed.status).toBe('success');
		expect(resumed.nodeOutputs('Midjourney Edits')[0].json).toMatchObject({ task_id: taskId, success: true });
		expect(resumed.nodeOutputs('Midjourney Edits')[0].json.image_url).not.toContain('attacker');
	});

	it("one execution's signed link cannot resume another execution", async () => {
		fake.faults.callbackMode = 'never';
		const first = await runEdit(fake, [{ json: CAT }], callbackMode());
		const firstLink = new URL(submittedCallbackUrl(fake));
		const second = await runEdit(fake, [{ json: CAT }], callbackMode());
		const secondLink = new URL(submittedCallbackUrl(fake));
		expect(second.executionId).not.toBe(first.executionId);
		// The second execution's path with the first execution's signature parameters.
		for (const name of Object.values(SIGNATURE_PARAMS)) {
			secondLink.searchParams.set(name, firstLink.searchParams.get(name)!);
		}
		const taskId = [...fake.tasks.keys()][1];
		const refused = await resumeWaitingExecution(second, {
			body: { task_id: taskId, success: true, image_url: 'https://attacker.example/fake.png' },
			url: secondLink.toString(),
		});
		expect(refused.resumeResponse?.statusCode).toBe(403);
		expect(refused.status).toBe('waiting');
	});

	it.each([1, 2])('with %i item(s), does not resume on a signed callback for a task it is not waiting for (a late one from an earlier loop run)', async (count) => {
		fake.faults.callbackMode = 'never';
		fake.faults.neverFinish = true;
		const waiting = await runEdit(fake, Array.from({ length: count }, () => ({ json: CAT })), callbackMode());
		const stray = { task_id: 'task-from-an-earlier-run', success: true, image_url: 'https://cdn.example.test/x.png' };
		const answer = await resumeWaitingExecution(waiting, { body: stray, url: submittedCallbackUrl(fake) });
		expect(answer.status).toBe('waiting');
		expect(answer.resumeResponse).toMatchObject({ statusCode: 200, body: { received: true, waiting: true } });
	});

	it('when no callback comes before the timeout, the item names the task to fetch later', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode({ timeoutSeconds: 30 }));
		const taskId = [...fake.tasks.keys()][0];
		const timedOut = await resumeAfterWaitTimeout(waiting);
		expect(timedOut.status).toBe('success');
		const [item] = timedOut.nodeOutputs('Midjourney Edits');
		expect(item.json).toMatchObject({ task_id: taskId, success: false });
		expect(item.json.error).toMatch(/No callback arrived within 30 seconds.*Get \(Task resource\)/);
	});

	describe('several items', () => {
		const DOG = { imageUrl: 'https://cdn.example.test/input/dog.jpg', prompt: 'A dog on a sofa' };
		const OWL = { imageUrl: 'https://cdn.example.test/input/owl.jpg', prompt: 'An owl at night' };
		const taskIds = () => [...fake.tasks.keys()];
		const bodyOf = (taskId: string) => fake.tasks.get(taskId)!.record.response as unknown as Record<string, unknown>;

		it('submits every item with the one signed resume URL, and resumes once all have called back, in input order', async () => {
			fake.faults.callbackMode = 'never';
			fake.faults.neverFinish = true;
			const waiting = await runEdit(fake, [{ json: CAT }, { json: DOG }, { json: OWL }], callbackMode());
			expect(waiting.status).toBe('waiting');
			const submits = fake.requests.filter((entry) => entry.path === '/midjourney/edits');
			expect(submits).toHaveLength(3);
			expect(new Set(submits.map((entry) => (entry.body as Record<string, unknown>).callback_url)).size).toBe(1);
			const [cat, dog, owl] = taskIds();

			// Callbacks come as tasks finish, in any order; until the last, each one only waits.
			fake.finishTask(dog);
			const afterDog = await resumeWaitingExecution(waiting, { body: bodyOf(dog), url: submittedCallbackUrl(fake) });
			expect(afterDog.status).toBe('waiting');
			expect(afterDog.resumeResponse).toMatchObject({ statusCode: 200, body: { received: true, waiting_for: 2 } });
			fake.finishTask(owl, 'failure');
			const afterOwl = await resumeWaitingExecution(waiting, { body: bodyOf(owl), url: submittedCallbackUrl(fake) });
			expect(afterOwl.status).toBe('waiting');
			expect(afterOwl.resumeResponse).toMatchObject({ statusCode: 200, body: { received: true, waiting_for: 1 } });

			fake.finishTask(cat);
			const resumed = await resumeWaitingExecution(waiting, { body: bodyOf(cat), url: submittedCallbackUrl(fake) });
			expect(resumed.status).toBe('success');
			const output = resumed.nodeOutputs('Midjourney Edits');
			expect(output.map((item) => item.json.task_id)).toEqual([cat, dog, owl]);
			expect(output.map((item) => item.json.success)).toEqual([true, true, false]);
			expect(output[2].json.error).toEqual(expect.any(String));
			// One lookup per callback that came while others were still pending (or to confirm them).
			expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(3);
		});

		it('downloads every item\'s images when it resumes', async () => {
			fake.faults.callbackMode = 'never';
			const waiting = await runEdit(fake, [{ json: CAT }, { json: DOG }], { ...callbackMode(), output: 'split' });
			const [cat, dog] = taskIds();
			await fake.waitFor(() => fake.tasks.get(cat)!.state === 'succeeded' && fake.tasks.get(dog)!.state === 'succeeded', 30_000);
			const resumed = await resumeWaitingExecution(waiting, { body: bodyOf(dog), url: submittedCallbackUrl(fake) });
			const output = resumed.nodeOutputs('Midjourney Edits');
			expect(output).toHaveLength(8);
			expect(output.map((item) => item.json.task_id)).toEqual([cat, cat, cat, cat, dog, dog, dog, dog]);
			expect(output.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
		});

		it('keeps an item that failed before submitting ("Continue On Fail") in its place', async () => {
			fake.faults.callbackMode = 'never';
			const waiting = await runEdit(
				fake,
				[{ json: CAT }, { json: { imageUrl: 'not a link', prompt: 'x' } }, { json: OWL }],
				callbackMode(),
				{ nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } } },
			);
			expect(waiting.status).toBe('waiting');
			expect(fake.count('POST', '/midjourney/edits')).toBe(2);
			const [cat, owl] = taskIds();
			await fake.waitFor(() => fake.tasks.get(owl)!.state === 'succeeded', 30_000);
			const resumed = await resumeWaitingExecution(waiting, { body: bodyOf(cat), url: submittedCallbackUrl(fake) });
			const output = resumed.nodeOutputs('Midjourney Edits');
			expect(output.map((item) => item.json.task_id)).toEqual([cat, undefined, owl]);
			expect(String(output[1].json.error)).toMatch(/Image URL/);
		});

		it('answers 503 and keeps waiting when it cannot look up the other tasks', async () => {
			fake.faults.callbackMode = 'never';
			const waiting = await runEdit(fake, [{ json: CAT }, { json: DOG }], callbackMode());
			const [cat, dog] = taskIds();
			await fake.waitFor(() => fake.tasks.get(cat)!.state === 'succeeded' && fake.tasks.get(dog)!.state === 'succeeded', 30_000);
			fake.faults.tasksServerError = 2;
			const refused = await resumeWaitingExecution(waiting, { body: bodyOf(cat), url: submittedCallbackUrl(fake) });
			expect(refused.status).toBe('waiting');
			expect(refused.resumeResponse?.statusCode).toBe(503);
			const resumed = await resumeWaitingExecution(waiting, { body: bodyOf(cat), url: submittedCallbackUrl(fake) });
			expect(resumed.nodeOutputs('Midjourney Edits').map((item) => item.json.task_id)).toEqual([cat, dog]);
		});

		it('at the timeout, every item names its task to fetch later', async () => {
			fake.faults.callbackMode = 'never';
			const waiting = await runEdit(fake, [{ json: CAT }, { json: DOG }], callbackMode({ timeoutSeconds: 30 }));
			const timedOut = await resumeAfterWaitTimeout(waiting);
			const output = timedOut.nodeOutputs('Midjourney Edits');
			expect(output.map((item) => item.json.task_id)).toEqual(taskIds());
			expect(output.every((item) => item.json.success === false && /Get \(Task resource\)/.test(String(item.json.error)))).toBe(true);
		});
	});

	it('refuses a resume URL the API cannot reach unless the user opts in', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { waitMode: 'callback', options: { timeoutSeconds: 60 } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toBe('The API cannot call back this n8n: its address is private');
		expect(String((result.error as { description?: string }).description)).toMatch(/WEBHOOK_URL.*Poll Until Done/);
		expect(fake.requests).toHaveLength(0);
	});
});
