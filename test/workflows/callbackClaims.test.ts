/**
 * Issue 12, "Wait for Callback" side: a post to the resume URL is a claim. Only the task records
 * fetched with our token decide whether the execution resumes and what it outputs.
 */
import { WebhookContext } from 'n8n-core';

import * as callbackResume from '../../nodes/MidjourneyEdits/actions/image/edit/callbackResume';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { resumeWaitingExecution } from '../harness';
import { callbackMode, CAT, runEdit, submittedCallbackUrl, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => {
	fake.reset();
	jest.restoreAllMocks();
});
afterAll(async () => await fake.close());

const DOG = { imageUrl: 'https://cdn.example.test/input/dog.jpg', prompt: 'A dog on a sofa' };
const ATTACKER_IMAGE = 'https://attacker.example/x.png';

const forged = (taskId: string) => ({ task_id: taskId, success: true, image_url: ATTACKER_IMAGE, sub_image_urls: [ATTACKER_IMAGE] });

describe('resume: the callback wakes, the task record is the result', () => {
	it('a correctly signed forged success resumes nothing while the task runs; once it finished, the output holds the API\'s image_url', async () => {
		fake.faults.callbackMode = 'never';
		fake.faults.neverFinish = true;
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const [taskId] = [...fake.tasks.keys()];

		const early = await resumeWaitingExecution(waiting, { body: forged(taskId), url: submittedCallbackUrl(fake) });
		expect(early.status).toBe('waiting');
		expect(early.resumeResponse).toMatchObject({ statusCode: 200, body: { received: true, waiting_for: 1 } });

		fake.finishTask(taskId, 'success');
		const resumed = await resumeWaitingExecution(waiting, { body: forged(taskId), url: submittedCallbackUrl(fake) });
		expect(resumed.status).toBe('success');
		const [item] = resumed.nodeOutputs('Midjourney Edits');
		expect(item.json.image_url).toBe((fake.tasks.get(taskId)!.record.response as { image_url: string }).image_url);
		expect(JSON.stringify(item.json)).not.toContain('attacker');
	});

	it('a forged failure for a task that succeeded still outputs the success from the record', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const [taskId] = [...fake.tasks.keys()];
		await fake.waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 5000);
		const resumed = await resumeWaitingExecution(waiting, {
			body: { task_id: taskId, success: false, error: { code: 'forbidden', message: 'made up' } },
			url: submittedCallbackUrl(fake),
		});
		expect(resumed.nodeOutputs('Midjourney Edits')[0].json).toMatchObject({ task_id: taskId, success: true });
	});

	it('with several items, the posting task\'s result also comes from its record', async () => {
		fake.faults.callbackMode = 'never';
		fake.faults.neverFinish = true;
		const waiting = await runEdit(fake, [{ json: CAT }, { json: DOG }], callbackMode());
		const [cat, dog] = [...fake.tasks.keys()];
		fake.finishTask(dog, 'success');
		const early = await resumeWaitingExecution(waiting, { body: forged(cat), url: submittedCallbackUrl(fake) });
		expect(early.status).toBe('waiting');
		fake.finishTask(cat, 'success');
		const resumed = await resumeWaitingExecution(waiting, { body: forged(cat), url: submittedCallbackUrl(fake) });
		const output = resumed.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.json.task_id)).toEqual([cat, dog]);
		expect(JSON.stringify(output)).not.toContain('attacker');
	});

	it.each([
		['a 5 MB task_id', 'x'.repeat(5 * 1024 * 1024)],
		['a task_id with a path', '../1'],
	])('answers 400 to %s, looks nothing up and keeps waiting', async (_case, taskId) => {
		fake.faults.callbackMode = 'never';
		fake.faults.neverFinish = true;
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const answer = await resumeWaitingExecution(waiting, { body: { task_id: taskId, success: true }, url: submittedCallbackUrl(fake) });
		expect(answer.status).toBe('waiting');
		expect(answer.resumeResponse?.statusCode).toBe(400);
		expect(fake.count('POST', '/midjourney/tasks')).toBe(0);
	});

	it('a failed lookup answers 503 and keeps waiting (one item too)', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const [taskId] = [...fake.tasks.keys()];
		await fake.waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 5000);
		fake.faults.tasksServerError = 2;
		const refused = await resumeWaitingExecution(waiting, { body: { task_id: taskId }, url: submittedCallbackUrl(fake) });
		expect(refused.status).toBe('waiting');
		expect(refused.resumeResponse?.statusCode).toBe(503);
	});
});

describe('resume fails closed', () => {
	it('when the waiting items cannot be read, a signed post for the real finished task answers 503 and resumes nothing', async () => {
		fake.faults.callbackMode = 'never';
		const waiting = await runEdit(fake, [{ json: CAT }], callbackMode());
		const [taskId] = [...fake.tasks.keys()];
		await fake.waitFor(() => fake.tasks.get(taskId)!.state === 'succeeded', 5000);
		const real = WebhookContext.prototype.evaluateExpression;
		jest.spyOn(WebhookContext.prototype, 'evaluateExpression').mockImplementation(function (this: WebhookContext, expression, itemIndex) {
			if (String(expression).includes('$input.all()')) throw new Error('expression engine unavailable');
			return real.call(this, expression, itemIndex);
		});
		const answer = await resumeWaitingExecution(waiting, { body: { task_id: taskId }, url: submittedCallbackUrl(fake) });
		expect(answer.status).toBe('waiting');
		expect(answer.resumeResponse?.statusCode).toBe(503);
	});
});

describe('pairedItem after a resume (split downloads, 2 inputs)', () => {
	it('the resume webhook pairs like poll mode (0,0,0,0,1,1,1,1); n8n-core then re-pairs the resumed node\'s items by index', async () => {
		fake.faults.callbackMode = 'never';
		const returned: unknown[] = [];
		const real = callbackResume.resumeFromCallback;
		jest.spyOn(callbackResume, 'resumeFromCallback').mockImplementation(async function (this: unknown) {
			const answer = await real.call(this as never);
			if (answer.workflowData) returned.push(...answer.workflowData[0].map((item) => item.pairedItem));
			return answer;
		});
		const waiting = await runEdit(fake, [{ json: CAT }, { json: DOG }], { ...callbackMode(), output: 'split' });
		const [cat, dog] = [...fake.tasks.keys()];
		await fake.waitFor(() => fake.tasks.get(cat)!.state === 'succeeded' && fake.tasks.get(dog)!.state === 'succeeded', 5000);
		const resumed = await resumeWaitingExecution(waiting, { body: { task_id: dog }, url: submittedCallbackUrl(fake) });
		expect(resumed.status).toBe('success');

		// What the node decides: the same pairing as poll mode.
		expect(returned).toEqual([0, 0, 0, 0, 1, 1, 1, 1].map((item) => ({ item })));
		// What n8n makes of it: WorkflowExecute.addPairedItemLineage rewrites every input item of the
		// node it is about to run (here the resumed node, whose input is the webhook's output) to
		// { item: index } before running it, and the disabled resumed node passes that on. A resumed
		// node cannot change this (n8n 1.x and 2.x alike).
		const output = resumed.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((item) => ({ item })));
	});
});
