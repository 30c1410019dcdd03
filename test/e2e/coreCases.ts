/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The core real-n8n cases, written once and run against every n8n line we support: the package
 * loads (nodes, AI-tool variant, credential, icons, no load errors), poll mode, "Don't Wait" plus the
 * trigger (a repeated callback starts one execution), an invalid token (failing, and with "On Error:
 * Continue"), and n8n's credential test. core.e2e.test.ts runs them on the pinned 2.x,
 * compat-1x.e2e.test.ts on 1.x; each file adds the cases only it needs through `moreCases`, inside
 * the same describe so they share its n8n and fake API.
 */
import { randomUUID } from 'crypto';

import { startFakeAceDataCloud, type FakeAceDataCloud, DEFAULT_PLATFORM_TOKEN } from '../fake-api/fakeAceDataCloud';
import { loadFixture, N8nInstance, nodeOutput, PACKAGE_NAME, type CreatedCredential, type N8nExecution, type WebhookResponse } from './n8nInstance';
import { credentialExtrasFor, n8nEnvironmentFor } from './n8nVersions';
import { executionsBeforeMarker, triggerTaskId } from './marker';
import { postJson, untilWaiting } from './support';

export const GOOD_TOKEN = 'test-token';

/** An answer of our resume webhook that started nothing: a repeat, or a callback that only waits. */
function isRefusal(body: unknown): boolean {
	const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
	return fields.duplicate === true || fields.waiting === true || 'waiting_for' in fields;
}
export const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-cat.png';
const ACTION_TYPE = `${PACKAGE_NAME}.midjourneyEdits`;
const TRIGGER_TYPE = `${PACKAGE_NAME}.midjourneyEditsTrigger`;
// A fresh machine provisions n8n (3-13 minutes, depending on load) inside beforeAll.
const COLD_START_TIMEOUT_MS = 20 * 60_000;

export type Credential = CreatedCredential & { data: Record<string, unknown> };

export interface CoreCaseOptions {
	/** n8n version to start (scripts/provision-n8n.sh); the pinned 2.x when absent. */
	n8nVersion?: string;
	/** Names this run's credentials and webhook paths, so logs tell the suites apart. */
	label: string;
	/** A token that looks real, so a leak into n8n's log or an error message would be noticed. */
	badToken: string;
}

/** What the cases of one suite share; read it inside tests and hooks (it is filled in beforeAll). */
export interface CoreCaseContext {
	readonly fake: FakeAceDataCloud;
	readonly n8n: N8nInstance;
	readonly goodCredential: Credential;
	readonly badCredential: Credential;
	/** Deploys the webhook-started edit workflow with its own webhook path. */
	deployEditWorkflow(options: {
		waitMode: 'poll' | 'none' | 'callback';
		credential: Credential;
		onError?: 'stopWorkflow' | 'continueRegularOutput';
	}): Promise<{ path: string; workflowId: string }>;
	/** The items a webhook answered with ("Respond: All Entries"). */
	items(response: WebhookResponse): Array<Record<string, unknown>>;
}

export function describeCoreCases(
	title: string,
	options: CoreCaseOptions,
	moreCases: (context: CoreCaseContext) => void = () => {},
): void {
	describe(title, () => {
		let fake: FakeAceDataCloud;
		let n8n: N8nInstance;
		let goodCredential: Credential;
		let badCredential: Credential;

		async function createCredential(name: string, apiToken: string): Promise<Credential> {
			const data = { apiToken, platformToken: DEFAULT_PLATFORM_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url, ...credentialExtrasFor(options.n8nVersion) };
			const created = await n8n.createCredential({ name, type: 'aceDataCloudApi', data });
			return { ...created, data };
		}

		const context: CoreCaseContext = {
			get fake() {
				return fake;
			},
			get n8n() {
				return n8n;
			},
			get goodCredential() {
				return goodCredential;
			},
			get badCredential() {
				return badCredential;
			},
			async deployEditWorkflow({ waitMode, credential, onError }) {
				const webhookPath = `mj-${options.label}-${waitMode}-${randomUUID().slice(0, 8)}`;
				const workflow = await n8n.deployWorkflow(
					loadFixture('edit-via-webhook', {
						WEBHOOK_ID: randomUUID(),
						WEBHOOK_PATH: webhookPath,
						WAIT_MODE: waitMode,
						ON_ERROR: onError ?? 'stopWorkflow',
						CREDENTIAL_ID: credential.id,
						CREDENTIAL_NAME: credential.name,
					}),
				);
				return { path: webhookPath, workflowId: workflow.id };
			},
			items(response) {
				expect(Array.isArray(response.body)).toBe(true);
				return response.body as Array<Record<string, unknown>>;
			},
		};
		const { deployEditWorkflow, items } = context;

		beforeAll(async () => {
			fake = await startFakeAceDataCloud({ port: 0, validTokens: [GOOD_TOKEN], jobDurationMs: 1500 });
			n8n = await N8nInstance.start({ n8nVersion: options.n8nVersion, env: n8nEnvironmentFor(options.n8nVersion) });
			goodCredential = await createCredential(`Ace Data Cloud (${options.label} e2e)`, GOOD_TOKEN);
			badCredential = await createCredential(`Ace Data Cloud (${options.label} e2e, wrong token)`, options.badToken);
		}, COLD_START_TIMEOUT_MS);

		beforeEach(() => fake.reset());

		afterAll(async () => {
			await n8n?.stop();
			await fake?.close();
		});

		describe('loading', () => {
			it('registers the action node, its AI-tool variant and the trigger', async () => {
				const ours = (await n8n.nodeTypes()).filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
				// n8n derives `<name>Tool` from `usableAsTool: true` (the node offered to AI agents).
				expect(ours.map((type) => type.name).sort()).toEqual([ACTION_TYPE, `${ACTION_TYPE}Tool`, TRIGGER_TYPE]);
				expect(ours.find((type) => type.name === ACTION_TYPE)?.displayName).toBe('Midjourney Edits');
				expect(ours.find((type) => type.name === TRIGGER_TYPE)?.displayName).toBe('Midjourney Edits Trigger');
			});

			it('registers the aceDataCloudApi credential type', async () => {
				const credentialTypes = await n8n.credentialTypes();
				expect(credentialTypes.find((type) => type.name === 'aceDataCloudApi')?.displayName).toBe('Ace Data Cloud API');
			});

			it('serves the light and dark icons packed with each node', async () => {
				const ours = (await n8n.nodeTypes()).filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
				for (const type of ours) {
					const iconUrl = type.iconUrl as { light: string; dark: string };
					for (const url of [iconUrl.light, iconUrl.dark]) {
						const response = await fetch(`${n8n.baseUrl}/${url.replace(/^\/+/, '')}`);
						expect({ url, status: response.status }).toEqual({ url, status: 200 });
						expect(await response.text()).toContain('<svg');
					}
				}
			});

			it('logs no load errors for the package', () => {
				expect(n8n.packageLoadErrors()).toEqual([]);
				expect(n8n.logText()).not.toMatch(/Failed to load package/i);
			});
		});

		describe('editing an image', () => {
			it('waits for the result in poll mode and answers the webhook with it', async () => {
				const { path: webhookPath, workflowId } = await deployEditWorkflow({ waitMode: 'poll', credential: goodCredential });

				const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'make it a watercolor' });

				expect(response.status).toBe(200);
				const [result, ...rest] = items(response);
				expect(rest).toEqual([]);
				expect(result).toEqual(
					expect.objectContaining({
						success: true,
						task_id: expect.any(String),
						image_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/.+\.png/),
					}),
				);
				// One submission, then lookups until the job (1.5 s) finished.
				expect(fake.count('POST', '/midjourney/edits')).toBe(1);
				const submitted = fake.requests.find((entry) => entry.path === '/midjourney/edits')?.body as Record<string, unknown>;
				expect(submitted).toEqual(expect.objectContaining({ image_url: SOURCE_IMAGE, prompt: 'make it a watercolor' }));
				expect(submitted.callback_url).toBeUndefined();
				expect(fake.count('POST', '/midjourney/tasks')).toBeGreaterThanOrEqual(1);

				const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
				expect(nodeOutput(execution, 'Midjourney Edits')[0]).toEqual(expect.objectContaining({ task_id: result.task_id }));
			});

			it("returns the task id at once in \"Don't Wait\" mode, and the repeated callback starts the trigger's workflow once", async () => {
				const triggerWebhookId = randomUUID();
				const trigger = await n8n.deployWorkflow(
					loadFixture('callback-trigger', {
						WEBHOOK_ID: triggerWebhookId,
						CREDENTIAL_ID: goodCredential.id,
						CREDENTIAL_NAME: goodCredential.name,
					}),
				);
				const callbackUrl = n8n.webhookUrl(`${triggerWebhookId}/callback`);
				const { path: webhookPath } = await deployEditWorkflow({ waitMode: 'none', credential: goodCredential });
				fake.faults.callbackMode = 'duplicate';
				// The job finishes only when this test says so: an answer that came while it still ran did not wait for it.
				fake.faults.neverFinish = true;

				const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'add a red hat', callbackUrl });

				expect(response.status).toBe(200);
				const [acknowledged] = items(response);
				const taskId = acknowledged.task_id as string;
				expect(taskId).toEqual(expect.any(String));
				expect(acknowledged.image_url).toBeUndefined();
				expect(fake.tasks.get(taskId)?.state).toBe('running');
				expect(fake.count('POST', '/midjourney/tasks')).toBe(0);
				fake.finishTask(taskId);
				// The node handed the API the trigger's URL, signed.
				const handedOut = fake.tasks.get(taskId)?.callbackUrl ?? '';
				expect(handedOut.startsWith(`${callbackUrl}?`)).toBe(true);
				expect(handedOut).toContain('mj_sig=');

				const deliveries = await fake.waitFor(() => {
					const found = fake.callbacks.filter((entry) => entry.taskId === taskId);
					return found.length === 2 ? found : undefined;
				}, 15_000);
				expect(deliveries.map((entry) => entry.status)).toEqual([200, 200]);

				const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', {
					workflowId: trigger.id,
					timeoutMs: 15_000,
				});
				const [received] = nodeOutput(execution, 'Midjourney Edits Trigger');
				expect(received).toEqual(expect.objectContaining({ task_id: taskId, success: true, image_url: expect.any(String) }));
				expect(Object.keys(received).filter((key) => key.startsWith('mj_'))).toEqual([]);
				// The repeat started none: counted once a later callback's execution is listed (marker.ts).
				const before = await executionsBeforeMarker(n8n, fake, { workflowId: trigger.id, callbackUrl, token: GOOD_TOKEN });
				expect(before.map(triggerTaskId)).toEqual([taskId]);
			});
		});

		describe('"Wait for Callback" with several items', () => {
			/** The execution's status, read directly (n8n 1.x's execution list leaves waiting ones out). */
			async function statusOf(executionId: string): Promise<string | undefined> {
				return (await n8n.getExecution(executionId, false)).status;
			}

			/**
			 * Deploys callback-mode-batch.workflow.json, starts it with one edit per prompt and waits until
			 * the execution is waiting. Returns the tasks in prompt order, the execution id, and how many
			 * times the workflow's last node ("Side Effect", a GET to the fake) has run so far.
			 */
			async function startBatch(prompts: string[]) {
				const webhookPath = `mj-${options.label}-batch-${randomUUID().slice(0, 8)}`;
				const sideEffectPath = `/results/side-effect-${webhookPath}/grid.png`;
				await n8n.deployWorkflow(
					loadFixture('callback-mode-batch', {
						WEBHOOK_ID: randomUUID(),
						WEBHOOK_PATH: webhookPath,
						SIDE_EFFECT_URL: `${fake.url}${sideEffectPath}`,
						CREDENTIAL_ID: goodCredential.id,
						CREDENTIAL_NAME: goodCredential.name,
					}),
				);
				const response = await n8n.callWebhook(webhookPath, { edits: prompts.map((prompt) => ({ imageUrl: SOURCE_IMAGE, prompt })) });
				expect(response.status).toBe(200);
				const created = await fake.waitFor(() => (fake.tasks.size === prompts.length ? [...fake.tasks.values()] : undefined), 30_000);
				const tasks = prompts.map((prompt) => created.find((task) => task.record.request.prompt === prompt)!);
				const executionId = new URL(tasks[0].callbackUrl!).pathname.split('/').pop()!;
				await untilWaiting(n8n, executionId);
				const sideEffects = () => fake.requests.filter((entry) => entry.path === sideEffectPath).length;
				return { tasks, executionId, sideEffects };
			}

			/**
			 * The execution once its last node has run AND n8n has saved it as ended: n8n 1.x briefly shows a
			 * resuming execution as finished before its last node runs, and n8n 2.x can show the last node's
			 * run data while the execution is still "running" (its final save comes after).
			 */
			async function afterTheWait(executionId: string): Promise<N8nExecution> {
				const ended = (execution: N8nExecution) =>
					execution.data?.resultData.runData['Side Effect'] !== undefined &&
					!['new', 'running', 'waiting'].includes(String(execution.status));
				let execution = await n8n.getExecution(executionId, true);
				for (const deadline = Date.now() + 30_000; !ended(execution); ) {
					if (Date.now() > deadline) throw new Error(`execution ${executionId} did not continue after the callbacks`);
					await new Promise((resolve) => setTimeout(resolve, 200));
					execution = await n8n.getExecution(executionId, true);
				}
				return execution;
			}

			it('waits for every task\'s callback, then continues once with all results in input order', async () => {
				fake.faults.neverFinish = true;
				const { tasks, executionId, sideEffects } = await startBatch(['first: add a hat', 'second: add a scarf', 'third: add boots']);
				expect(new Set(tasks.map((task) => task.callbackUrl)).size).toBe(1);

				// The tasks finish out of order; the fake calls back as each one finishes.
				for (const task of [tasks[2], tasks[0]]) {
					fake.finishTask(task.id);
					const delivery = await fake.waitFor(() => fake.callbacks.find((entry) => entry.taskId === task.id), 15_000);
					expect(delivery.status).toBe(200);
					expect(await statusOf(executionId)).toBe('waiting');
				}
				fake.finishTask(tasks[1].id, 'failure');
				const last = await fake.waitFor(() => fake.callbacks.find((entry) => entry.taskId === tasks[1].id), 15_000);
				expect(last.status).toBe(200);

				const execution = await afterTheWait(executionId);
				expect(execution.status).toBe('success');
				const results = nodeOutput(execution, 'Midjourney Edits');
				expect(results.map((item) => item.task_id)).toEqual(tasks.map((task) => task.id));
				expect(results.map((item) => item.success)).toEqual([true, false, true]);
				expect(nodeOutput(execution, 'After Callback')).toHaveLength(3);
				expect(execution.data?.resultData.runData['After Callback']).toHaveLength(1);
				expect(sideEffects()).toBe(1);
				expect(fake.count('POST', '/midjourney/edits')).toBe(3);
			});

			it('continues once when the last two tasks call back at the same moment', async () => {
				fake.faults.neverFinish = true;
				fake.faults.callbackMode = 'never';
				const { tasks, executionId, sideEffects } = await startBatch(['left: add a cloud', 'right: add a bird']);
				for (const task of tasks) fake.finishTask(task.id);

				// Posted as the API posts them, to read each answer: the answers say how many runs began.
				const answers = await Promise.all(tasks.map((task) => postJson(task.callbackUrl!, task.record.response)));

				// One answer resumed the execution; the other was refused, by n8n (409: resuming already)
				// or by our node (duplicate); neither may start a second run.
				const resumed = answers.filter((answer) => answer.status === 200 && !isRefusal(answer.body));
				expect({ answers, resumed: resumed.length }).toEqual({ answers, resumed: 1 });
				expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
				const execution = await afterTheWait(executionId);
				expect(execution.data?.resultData.runData['Midjourney Edits']).toHaveLength(1);
				expect(nodeOutput(execution, 'After Callback').map((item) => item.task_id)).toEqual(tasks.map((task) => task.id));
				// The saved execution shows one run even when two ran (n8n 1.x without our guard); what the
				// workflow did outside says how many.
				expect(sideEffects()).toBe(1);
				process.stderr.write(`[e2e] ${options.label}: two last callbacks at once answered ${answers.map((answer) => answer.status).join(', ')}\n`);
			});
		});

		describe('an invalid API token', () => {
			it('fails the execution with the credential message, without leaking the token', async () => {
				const { path: webhookPath, workflowId } = await deployEditWorkflow({ waitMode: 'poll', credential: badCredential });

				const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'anything' });

				expect(response.status).toBe(500);
				const execution = await n8n.waitForExecution((candidate) => candidate.status === 'error', { workflowId });
				const error = execution.data?.resultData.error;
				expect(error?.message).toMatch(/rejected the API token/i);
				expect(error?.description).toMatch(/Check the 'API Token' in your 'Ace Data Cloud API' credential/);
				expect(JSON.stringify(execution)).not.toContain(options.badToken);
				expect(n8n.logText()).not.toContain(options.badToken);
				// Nothing was created: the submission itself was refused.
				expect(fake.tasks.size).toBe(0);
			});

			it('outputs error items instead with "On Error: Continue"', async () => {
				const { path: webhookPath, workflowId } = await deployEditWorkflow({
					waitMode: 'poll',
					credential: badCredential,
					onError: 'continueRegularOutput',
				});

				const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'anything' });

				expect(response.status).toBe(200);
				const [errorItem, ...rest] = items(response);
				expect(rest).toEqual([]);
				expect(String(errorItem.error)).toMatch(/rejected the API token/i);
				expect(JSON.stringify(errorItem)).not.toContain(options.badToken);
				const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
				expect(nodeOutput(execution, 'Midjourney Edits')).toHaveLength(1);
			});
		});

		describe("n8n's credential test (the editor's Test button)", () => {
			it('passes with a good token', async () => {
				await expect(n8n.testCredential(goodCredential)).resolves.toEqual(expect.objectContaining({ status: 'OK' }));
				expect(fake.tasksRequestsFor('retrieve_batch')).toHaveLength(1);
			});

			it('fails with a wrong token, without echoing it', async () => {
				const result = await n8n.testCredential(badCredential);
				expect(result.status).toBe('Error');
				expect(result.message).toEqual(expect.any(String));
				expect(result.message).not.toContain(options.badToken);
				// n8n may send the test request more than once when it fails; each was refused.
				const attempts = fake.tasksRequestsFor('retrieve_batch');
				expect(attempts.length).toBeGreaterThanOrEqual(1);
				expect(attempts.every((entry) => entry.status === 401 && !entry.authorized)).toBe(true);
			});
		});

		moreCases(context);
	});
}
