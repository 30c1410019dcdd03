/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Callbacks inside a real n8n 2.41.1 (issue 4): the Midjourney Edits Trigger started by signed
 * callbacks (and not by forged or repeated ones), and the action node's "Wait for Callback" mode
 * resumed by n8n's own waiting webhook, or by n8n's wait tracker when no callback comes.
 * The fake Ace Data Cloud API runs in this jest process and posts the callbacks over loopback.
 */
import { randomUUID } from 'crypto';

import { SIGNATURE_PARAMS, signCallbackUrl } from '../../nodes/shared/callbackSignature';
import { startFakeAceDataCloud, type FakeAceDataCloud, type FakeTask } from '../fake-api/fakeAceDataCloud';
import { loadFixture, N8nInstance, nodeOutput, type CreatedCredential, type N8nExecution } from './n8nInstance';
import { executionsBeforeMarker, triggerTaskId } from './marker';
import { countExecutions, postJson, withNodeParameters } from './support';

// Looks like a real token, so finding it in n8n's log or stored executions would mean a leak.
const API_TOKEN = 'e2e-callback-token-4b8e1d9c7a52f0';
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-dog.png';
/** Timeout of the "Wait for Callback" run that never gets its callback. */
const SHORT_TIMEOUT_SECONDS = 8;

describe('callbacks inside a real n8n', () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let credential: CreatedCredential;
	// Every callback URL the node handed to the API during this file, checked for the token at the end.
	const handedOutCallbackUrls: string[] = [];
	// The "Wait for Callback" run whose callback never comes (started in beforeAll, see there).
	let timeoutRun: Awaited<ReturnType<typeof startCallbackModeEdit>>;

	const credentialValues = () => ({ CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name });

	/** Deploys a trigger workflow with its own webhook id; returns its id and production callback URL. */
	async function deployTrigger(): Promise<{ workflowId: string; callbackUrl: string }> {
		const webhookId = randomUUID();
		const workflow = await n8n.deployWorkflow(loadFixture('callback-trigger', { WEBHOOK_ID: webhookId, ...credentialValues() }));
		return { workflowId: workflow.id, callbackUrl: n8n.webhookUrl(`${webhookId}/callback`) };
	}

	/** Deploys the webhook-started edit in "Don't Wait" mode; returns the webhook path that starts it. */
	async function deployDontWaitEdit(): Promise<string> {
		const webhookPath = `mj-none-${randomUUID().slice(0, 8)}`;
		await n8n.deployWorkflow(
			loadFixture('edit-via-webhook', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				WAIT_MODE: 'none',
				ON_ERROR: 'stopWorkflow',
				...credentialValues(),
			}),
		);
		return webhookPath;
	}

	/** Submits one "Don't Wait" edit whose callback goes to `callbackUrl`; returns the fake's task. */
	async function submitDontWaitEdit(webhookPath: string, callbackUrl: string, prompt: string): Promise<FakeTask> {
		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt, callbackUrl });
		expect(response.status).toBe(200);
		const [acknowledged] = response.body as Array<Record<string, unknown>>;
		const task = fake.tasks.get(String(acknowledged.task_id));
		if (!task) throw new Error(`the fake has no task ${String(acknowledged.task_id)}`);
		return task;
	}

	/** Deploys the "Wait for Callback" workflow (optionally with another timeout) and starts it once. */
	async function startCallbackModeEdit(
		prompt: string,
		timeoutSeconds?: number,
	): Promise<{ workflowId: string; waiting: N8nExecution; task: FakeTask; submittedAt: number; seenWaitingAt: number }> {
		const webhookPath = `mj-callback-${randomUUID().slice(0, 8)}`;
		let fixture = loadFixture('callback-mode-via-webhook', { WEBHOOK_ID: randomUUID(), WEBHOOK_PATH: webhookPath, ...credentialValues() });
		if (timeoutSeconds !== undefined) fixture = withNodeParameters(fixture, 'Midjourney Edits', { options: { timeoutSeconds } });
		const workflow = await n8n.deployWorkflow(fixture);

		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt });
		// "Respond: Immediately": the webhook answers before the edit is even submitted.
		expect(response.status).toBe(200);
		const waiting = await n8n.waitForExecution((candidate) => candidate.status === 'waiting', {
			workflowId: workflow.id,
			timeoutMs: 20_000,
		});
		const seenWaitingAt = Date.now();
		const task = await fake.waitFor(() => [...fake.tasks.values()].find((candidate) => candidate.record.request.prompt === prompt), 10_000);
		// When the submission reached the API: the node starts its timeout after that answer, and before
		// the execution was seen waiting. These two bound waitTill, however busy the machine is.
		const submission = fake.requests.find((entry) => entry.path === '/midjourney/edits' && (entry.body as { prompt?: string })?.prompt === prompt);
		if (!submission) throw new Error(`the fake saw no submission with the prompt "${prompt}"`);
		return { workflowId: workflow.id, waiting, task, submittedAt: submission.at, seenWaitingAt };
	}

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [API_TOKEN], jobDurationMs: 1000 });
		n8n = await N8nInstance.start();
		credential = await n8n.createCredential({
			name: 'Ace Data Cloud (e2e callbacks)',
			type: 'aceDataCloudApi',
			data: { apiToken: API_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
		});
		// n8n ends a wait when its wait tracker, which reads the database every 60 s, finds it due: a
		// short timeout fires up to a minute late. So this run starts first and waits while the other
		// tests run; its test at the end collects the outcome. Its task finishes (1 s) before the
		// first fake.reset(), with the callback held back.
		fake.faults.callbackMode = 'never';
		timeoutRun = await startCallbackModeEdit('put it on a stamp', SHORT_TIMEOUT_SECONDS);
		await fake.waitFor(() => timeoutRun.task.state === 'succeeded', 10_000);
		handedOutCallbackUrls.push(timeoutRun.task.callbackUrl!);
	});

	beforeEach(() => {
		fake.reset();
	});

	afterEach(() => {
		for (const task of fake.tasks.values()) if (task.callbackUrl) handedOutCallbackUrls.push(task.callbackUrl);
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	describe('the Midjourney Edits Trigger', () => {
		it("starts one execution with the result when the API calls back a \"Don't Wait\" edit's signed URL", async () => {
			const trigger = await deployTrigger();
			const editPath = await deployDontWaitEdit();

			const task = await submitDontWaitEdit(editPath, trigger.callbackUrl, 'add a blue scarf');

			// The node handed the API the trigger's production URL with a signature, not the token.
			expect(task.callbackUrl?.startsWith(`${trigger.callbackUrl}?`)).toBe(true);
			expect(new URL(task.callbackUrl!).searchParams.get('mj_sig')).toMatch(/^[0-9a-f]{64}$/);
			const delivery = await fake.waitFor(() => fake.callbacks.find((entry) => entry.taskId === task.id), 15_000);
			expect(delivery.status).toBe(200);

			const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', {
				workflowId: trigger.workflowId,
				timeoutMs: 15_000,
			});
			const [received, ...others] = nodeOutput(execution, 'Midjourney Edits Trigger');
			expect(others).toEqual([]);
			expect(received).toEqual(
				expect.objectContaining({
					task_id: task.id,
					success: true,
					image_url: expect.stringContaining(`/results/${task.id}/grid.png`),
					image_width: 960,
					image_height: 1200,
					actions: expect.arrayContaining(['upscale1', 'variation4']),
				}),
			);
			expect(Object.keys(received).filter((key) => key.startsWith('mj_'))).toEqual([]);
			// The API called back once; that one callback started one execution, counted after a later one's (marker.ts).
			expect(fake.callbacks.filter((entry) => entry.taskId === task.id)).toHaveLength(1);
			const before = await executionsBeforeMarker(n8n, fake, { ...trigger, token: API_TOKEN });
			expect(before.map(triggerTaskId)).toEqual([task.id]);
		});

		it('answers 401 to an unsigned callback and 403 to a tampered or foreign signature, and starts nothing', async () => {
			const trigger = await deployTrigger();
			const editPath = await deployDontWaitEdit();
			// A genuinely signed URL for a real task, whose callback the fake holds back.
			fake.faults.callbackMode = 'never';
			const task = await submitDontWaitEdit(editPath, trigger.callbackUrl, 'paint it gold');
			await fake.waitFor(() => task.state === 'succeeded', 10_000);
			const signedUrl = new URL(task.callbackUrl!);
			const realResult = task.record.response;

			const unsigned = await postJson(trigger.callbackUrl, realResult);
			const tampered = new URL(signedUrl);
			const signature = tampered.searchParams.get('mj_sig')!;
			tampered.searchParams.set('mj_sig', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
			const tamperedAnswer = await postJson(tampered.toString(), realResult);
			const foreign = signCallbackUrl(trigger.callbackUrl, 'someone-elses-token');
			const foreignAnswer = await postJson(foreign, { ...realResult, image_url: 'https://attacker.example/x.png' });

			expect(unsigned).toEqual({ status: 401, body: { error: 'Signature required' } });
			expect(tamperedAnswer).toEqual({ status: 403, body: { error: 'Invalid signature' } });
			expect(foreignAnswer).toEqual({ status: 403, body: { error: 'Invalid signature' } });
			// Those answers are the node's own (n8n starts nothing for a request the node answered itself).

			// The same body on the genuinely signed URL does start it: the refusals above are the signature's
			// doing. Sent after them, its execution also shows that they started none.
			const genuine = await fake.deliverCallback(task.id);
			expect(genuine.status).toBe(200);
			const started = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId: trigger.workflowId, timeoutMs: 15_000 });
			expect(triggerTaskId(started)).toBe(task.id);
			expect(await countExecutions(n8n, trigger.workflowId)).toBe(1);
		});

		it('starts exactly one execution when the API delivers the same callback twice', async () => {
			const trigger = await deployTrigger();
			const editPath = await deployDontWaitEdit();
			fake.faults.callbackMode = 'duplicate';

			const task = await submitDontWaitEdit(editPath, trigger.callbackUrl, 'make it snow');
			const deliveries = await fake.waitFor(() => {
				const forTask = fake.callbacks.filter((entry) => entry.taskId === task.id);
				return forTask.length >= 2 ? forTask : undefined;
			}, 15_000);
			// Both deliveries (~50 ms apart) were accepted; only the first started the workflow.
			expect(deliveries.map((entry) => entry.status)).toEqual([200, 200]);
			await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId: trigger.workflowId, timeoutMs: 15_000 });

			// A third copy, much later, posted by hand: acknowledged as a duplicate.
			const again = await postJson(task.callbackUrl!, task.record.response);
			expect(again).toEqual({ status: 200, body: { received: true, duplicate: true } });
			// Counted once a later callback's execution is listed (marker.ts), not after a guessed pause.
			const executions = await executionsBeforeMarker(n8n, fake, { ...trigger, token: API_TOKEN });
			expect(executions.map((execution) => execution.status)).toEqual(['success']);
			expect(nodeOutput(executions[0], 'Midjourney Edits Trigger')).toEqual([expect.objectContaining({ task_id: task.id })]);
		});
	});

	describe('"Wait for Callback" mode', () => {
		it('is waiting until the callback arrives, then continues with the result as the node output', async () => {
			fake.faults.callbackMode = 'never';
			const { workflowId, waiting, task, submittedAt, seenWaitingAt } = await startCallbackModeEdit('turn the sky purple');

			// The callback URL is this execution's own resume URL with n8n's token, and our signature beside it.
			const callbackUrl = new URL(task.callbackUrl!);
			expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${n8n.baseUrl}/webhook-waiting/${waiting.id}`);
			expect(callbackUrl.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
			expect(callbackUrl.searchParams.get(SIGNATURE_PARAMS.signature)).toMatch(/^[0-9a-f]{64}$/);
			const listedWaiting = await n8n.listExecutions({ workflowId, status: 'waiting' });
			expect(listedWaiting.map((execution) => execution.id)).toEqual([waiting.id]);
			// Waits until the timeout (120 s) after the submission: between the API's receipt and the moment
			// the execution was seen waiting (1 s slack for the database's rounding).
			const waitTillMs = Date.parse(String(waiting.waitTill));
			expect(waitTillMs).toBeGreaterThanOrEqual(submittedAt + 120_000 - 1000);
			expect(waitTillMs).toBeLessThanOrEqual(seenWaitingAt + 120_000 + 1000);

			// The task has finished, but without a callback (none was sent) the execution keeps waiting.
			await fake.waitFor(() => task.state === 'succeeded', 10_000);
			expect(fake.callbacks).toHaveLength(0);
			expect((await n8n.getExecution(waiting.id, false)).status).toBe('waiting');

			// A made-up result with n8n's token but not our signature resumes nothing.
			const withoutOurs = new URL(callbackUrl.toString());
			for (const name of Object.values(SIGNATURE_PARAMS)) withoutOurs.searchParams.delete(name);
			const forged = { ...task.record.response, image_url: 'https://attacker.example/x.png' };
			// Refused by the node itself (our signature), so nothing resumed.
			expect(await postJson(withoutOurs.toString(), forged)).toEqual({ status: 401, body: { error: 'Signature required' } });
			expect((await n8n.getExecution(waiting.id, false)).status).toBe('waiting');

			const delivery = await fake.deliverCallback(task.id);
			expect(delivery.status).toBe(200);
			const finished = await n8n.waitForExecutionToFinish(waiting.id, 30_000);

			expect(finished.status).toBe('success');
			const [result, ...others] = nodeOutput(finished, 'Midjourney Edits');
			expect(others).toEqual([]);
			expect(result).toEqual(
				expect.objectContaining({
					task_id: task.id,
					success: true,
					image_url: expect.stringContaining(`/results/${task.id}/grid.png`),
					raw_image_url: expect.any(String),
					image_width: 960,
					image_height: 1200,
					progress: 100,
				}),
			);
			expect(nodeOutput(finished, 'After Callback')).toEqual([expect.objectContaining({ task_id: task.id, continuedAfterWait: true })]);
			// Nothing was polled: the callback woke the execution, one lookup of the record gave the result.
			expect(fake.count('POST', '/midjourney/tasks')).toBe(1);
		});

		it('runs nothing again when a second callback reaches the finished execution', async () => {
			fake.faults.callbackMode = 'never';
			const { workflowId, waiting, task } = await startCallbackModeEdit('add a lighthouse');
			await fake.waitFor(() => task.state === 'succeeded', 10_000);
			expect((await fake.deliverCallback(task.id)).status).toBe(200);
			const finished = await n8n.waitForExecutionToFinish(waiting.id, 30_000);
			expect(finished.status).toBe('success');

			const second = await fake.deliverCallback(task.id);

			// n8n refuses to resume a finished execution ("has finished already"): that answer is the signal.
			expect(second.status).toBe(409);
			const after = await n8n.getExecution(waiting.id, true);
			expect(after.stoppedAt).toBe(finished.stoppedAt);
			expect(after.data?.resultData.runData['Midjourney Edits']).toHaveLength(1);
			expect(after.data?.resultData.runData['After Callback']).toHaveLength(1);
			expect(await countExecutions(n8n, workflowId)).toBe(1);
		});

		it('resumes once when the same callback arrives twice at the same moment', async () => {
			fake.faults.callbackMode = 'never';
			const { workflowId, waiting, task } = await startCallbackModeEdit('paint the door green');
			await fake.waitFor(() => task.state === 'succeeded', 10_000);

			// Posted as the API posts them, to read each answer: the answers say how many runs began.
			const answers = await Promise.all([0, 1].map(() => postJson(task.callbackUrl!, task.record.response)));

			// One resumed the execution; the other was refused by n8n (409) or by our node (duplicate).
			const resumed = answers.filter((answer) => answer.status === 200 && (answer.body as { duplicate?: boolean })?.duplicate !== true);
			expect({ answers, resumed: resumed.length }).toEqual({ answers, resumed: 1 });
			expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
			const finished = await n8n.waitForExecutionToFinish(waiting.id, 30_000);
			expect(finished.status).toBe('success');
			const after = await n8n.getExecution(waiting.id, true);
			expect(after.data?.resultData.runData['Midjourney Edits']).toHaveLength(1);
			expect(after.data?.resultData.runData['After Callback']).toHaveLength(1);
			expect(await countExecutions(n8n, workflowId)).toBe(1);
			process.stderr.write(`[e2e] simultaneous callbacks answered ${answers.map((answer) => answer.status).join(', ')}\n`);
		});

		it('ends the wait at the timeout with an item that names the task to fetch with Get (Task resource)', async () => {
			const timeoutSeconds = SHORT_TIMEOUT_SECONDS;
			const { workflowId, waiting, task, submittedAt, seenWaitingAt } = timeoutRun;
			const waitTillMs = Date.parse(String(waiting.waitTill));
			expect(waitTillMs).toBeGreaterThanOrEqual(submittedAt + timeoutSeconds * 1000 - 1000);
			expect(waitTillMs).toBeLessThanOrEqual(seenWaitingAt + timeoutSeconds * 1000 + 1000);

			// n8n's wait tracker checks the database every 60 s, so the timeout can fire up to a minute late.
			const finished = await n8n.waitForExecutionToFinish(waiting.id, timeoutSeconds * 1000 + 90_000);
			process.stderr.write(
				`[e2e] callback timeout: waitTill ${waiting.waitTill}, resumed ${finished.stoppedAt} ` +
					`(${Date.parse(String(finished.stoppedAt)) - waitTillMs} ms after waitTill)\n`,
			);

			expect(finished.status).toBe('success');
			const [timedOut, ...others] = nodeOutput(finished, 'Midjourney Edits');
			expect(others).toEqual([]);
			expect(timedOut).toEqual({
				task_id: task.id,
				success: false,
				error: expect.stringContaining(`No callback arrived within ${timeoutSeconds} seconds`),
			});
			expect(String(timedOut.error)).toContain('Get (Task resource)');
			expect(String(timedOut.error)).toContain(task.id);
			// The workflow went on with that item (not with the webhook's request).
			expect(nodeOutput(finished, 'After Callback')).toEqual([{ ...timedOut, continuedAfterWait: true }]);

			// A callback after the timeout (the same request the API would send) finds the execution
			// finished and runs nothing. Posted by hand: fake.reset() has forgotten this task since.
			const late = await postJson(task.callbackUrl!, task.record.response);
			expect(late.status).toBe(409);
			expect(await countExecutions(n8n, workflowId)).toBe(1);
			expect((await n8n.getExecution(waiting.id, true)).data?.resultData.runData['Midjourney Edits']).toHaveLength(1);
		});
	});

	describe('the API token', () => {
		it("never appears in n8n's log, in any stored execution or in a callback URL", async () => {
			const executions = await n8n.listExecutions({ includeData: true, limit: 250 });
			// Every test above left executions behind; this checks them all.
			expect(executions.length).toBeGreaterThanOrEqual(8);
			for (const execution of executions) {
				expect({ id: execution.id, leaks: JSON.stringify(execution).includes(API_TOKEN) }).toEqual({ id: execution.id, leaks: false });
			}
			expect(n8n.logText().length).toBeGreaterThan(0);
			expect(n8n.logText()).not.toContain(API_TOKEN);
			expect(handedOutCallbackUrls.length).toBeGreaterThanOrEqual(6);
			for (const url of handedOutCallbackUrls) expect(url).not.toContain(API_TOKEN);
		});
	});
});
