/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The packed package in n8n's queue mode (issue 8): one main instance, two workers and a webhook
 * process sharing PostgreSQL, Redis and database-mode binary data, behind a load balancer that
 * WEBHOOK_URL points at (webhooks to the webhook process, the rest to main, as n8n documents it).
 * Proves that executions run on workers, that "Wait for Callback" resumes on a worker after the
 * webhook process received the callback, that a repeated callback starts the trigger's workflow once
 * (same process: remembered in memory; a later repeat at another process: from the workflow's static
 * data; several webhook-serving processes: with URI-hash routing, see README "Queue mode"), and that
 * files a worker uploads and downloads are right and readable by the other processes.
 *
 * Needs Redis and PostgreSQL from Debian: `bash scripts/e2e-system-deps.sh` (fails, never skips,
 * without them). Run alone: `npm run test:e2e:queue`; on n8n 1.x: E2E_QUEUE_N8N_VERSION=1x (part of
 * `npm run test:e2e:compat`).
 */
import { randomUUID } from 'crypto';

import { SIGNATURE_PARAMS } from '../../nodes/shared/callbackSignature';
import { DEFAULT_PLATFORM_TOKEN, startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng } from '../fake-api/pngs';
import { loadFixture, nodeOutput, PACKAGE_NAME, type CreatedCredential, type N8nExecution } from './n8nInstance';
import { credentialExtrasFor, isN8n1x, N8N_1X_VERSION } from './n8nVersions';
import { QueueCluster } from './queueCluster';
import { executionsBeforeMarker } from './marker';
import { untilWaiting } from './support';

// A fresh machine provisions n8n (about 6 minutes, more on a busy 2-core machine) inside beforeAll.
const COLD_START_TIMEOUT_MS = 20 * 60_000;

const TOKEN = 'queue-e2e-token-7d2f9c41';
// Another n8n than the pinned 2.41.1 for every process: a version, or '1x' for the tested 1.x LTS.
const N8N_VERSION = process.env.E2E_QUEUE_N8N_VERSION === '1x' ? N8N_1X_VERSION : process.env.E2E_QUEUE_N8N_VERSION || undefined;
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-cat.png';
const EDIT_NODE = 'Midjourney Edits';
const TRIGGER_NODE = 'Midjourney Edits Trigger';

type BinaryMeta = { id?: string; fileName?: string; mimeType?: string; fileSize?: string; data?: string };

describe(`the package in n8n ${N8N_VERSION ?? '2.x (pinned)'} queue mode (main + 2 workers + webhook process, PostgreSQL, Redis)`, () => {
	let fake: FakeAceDataCloud;
	let cluster: QueueCluster;
	let credential: CreatedCredential;

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [TOKEN], jobDurationMs: 1500 });
		cluster = await QueueCluster.start({ workers: 2, webhookProcess: true, n8nVersion: N8N_VERSION });
		credential = await cluster.main.createCredential({
			name: 'Ace Data Cloud (queue e2e)',
			type: 'aceDataCloudApi',
			data: { apiToken: TOKEN, platformToken: DEFAULT_PLATFORM_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url, ...credentialExtrasFor(N8N_VERSION) },
		});
	}, COLD_START_TIMEOUT_MS);

	beforeEach(() => fake.reset());

	afterAll(async () => {
		await cluster?.stop();
		await fake?.close();
	});

	async function deployEdit(options: {
		waitMode: 'poll' | 'callback' | 'none';
		responseMode: 'lastNode' | 'onReceived';
	}): Promise<{ path: string; workflowId: string }> {
		const webhookPath = `mj-queue-${options.waitMode}-${randomUUID().slice(0, 8)}`;
		const workflow = await cluster.main.deployWorkflow(
			loadFixture('queue-edit', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				RESPONSE_MODE: options.responseMode,
				RESPONSE_DATA: 'allEntries',
				WAIT_MODE: options.waitMode,
				OUTPUT: 'links',
				CREDENTIAL_ID: credential.id,
				CREDENTIAL_NAME: credential.name,
			}),
		);
		return { path: webhookPath, workflowId: workflow.id };
	}

	async function deployTrigger(downloadImages: 'none' | 'grid'): Promise<{ workflowId: string; url: string }> {
		const webhookId = randomUUID();
		const workflow = await cluster.main.deployWorkflow(
			loadFixture('queue-callback-trigger', {
				WEBHOOK_ID: webhookId,
				OUTPUT: downloadImages === 'none' ? 'links' : downloadImages,
				CREDENTIAL_ID: credential.id,
				CREDENTIAL_NAME: credential.name,
			}),
		);
		return { workflowId: workflow.id, url: cluster.webhookUrl(`${webhookId}/callback`) };
	}

	it('loads the package in every process, without load errors', async () => {
		const ours = (await cluster.main.nodeTypes()).filter((type) => type.name.startsWith(`${PACKAGE_NAME}.`));
		expect(ours.map((type) => type.name).sort()).toEqual([
			`${PACKAGE_NAME}.midjourneyEdits`,
			`${PACKAGE_NAME}.midjourneyEditsTrigger`,
			`${PACKAGE_NAME}.midjourneyEditsTool`,
		].sort());
		for (const { name, instance } of cluster.processes()) {
			expect({ name, errors: instance.packageLoadErrors() }).toEqual({ name, errors: [] });
			expect(instance.running).toBe(true);
		}
		// The shared setup really is queue mode on our PostgreSQL: workers only start in queue mode, and
		// the credential created through the main instance is in PostgreSQL's credentials table.
		for (const worker of cluster.workers) expect(worker.logText()).toMatch(/n8n worker is now ready/i);
		expect(cluster.postgres.query(`SELECT name FROM credentials_entity WHERE id = '${credential.id}'`)).toEqual([credential.name]);
	});

	it('poll mode: a worker runs the edit and the webhook answers with the result', async () => {
		const { path: webhookPath, workflowId } = await deployEdit({ waitMode: 'poll', responseMode: 'lastNode' });

		const response = await cluster.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'make it a watercolor' });

		expect(response.status).toBe(200);
		const [result, ...rest] = response.body as Array<Record<string, unknown>>;
		expect(rest).toEqual([]);
		expect(result).toEqual(expect.objectContaining({ success: true, task_id: expect.any(String), image_url: expect.any(String) }));
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		expect(fake.count('POST', '/midjourney/tasks')).toBeGreaterThanOrEqual(1);

		const execution = await cluster.main.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
		expect(nodeOutput(execution, EDIT_NODE)[0]).toEqual(expect.objectContaining({ task_id: result.task_id }));
		const ranOn = cluster.processesThatRan(execution.id);
		expect(ranOn).toHaveLength(1);
		expect(ranOn[0]).toMatch(/^worker-/);
	});

	it('callback mode: the execution waits, the callback reaches a webhook-serving process, and a worker resumes it', async () => {
		const { path: webhookPath, workflowId } = await deployEdit({ waitMode: 'callback', responseMode: 'onReceived' });

		const response = await cluster.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'add a red hat' });
		expect(response.status).toBe(200);

		const task = await fake.waitFor(() => [...fake.tasks.values()][0], 60_000);
		// The worker built the resume URL from the shared WEBHOOK_URL (the load balancer); n8n 2.x signs it.
		const resumeUrl = new URL(task.callbackUrl ?? '');
		expect(resumeUrl.origin).toBe(cluster.publicUrl);
		expect(resumeUrl.pathname).toMatch(/^\/webhook-waiting\/\d+$/);
		if (!isN8n1x(N8N_VERSION)) expect(resumeUrl.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
		expect(resumeUrl.searchParams.get(SIGNATURE_PARAMS.signature)).toMatch(/^[0-9a-f]{64}$/);
		const executionId = resumeUrl.pathname.split('/').pop()!;

		const delivery = await fake.waitFor(() => fake.callbacks.find((entry) => entry.taskId === task.id), 30_000);
		expect(delivery.status).toBe(200);
		// n8n 1.x briefly shows a resuming execution as finished before the resumed run is saved: wait
		// for the edit node's run itself.
		const execution = await cluster.main.waitForExecution(
			(candidate) =>
				candidate.id === executionId && candidate.status === 'success' && (candidate.data?.resultData.runData[EDIT_NODE]?.length ?? 0) > 0,
			{ workflowId, timeoutMs: 60_000 },
		);
		const [item] = nodeOutput(execution, EDIT_NODE);
		expect(item).toEqual(expect.objectContaining({ task_id: task.id, success: true, image_url: expect.any(String) }));
		// Nothing was polled: the callback woke the execution, one lookup of the record gave the result.
		expect(fake.count('POST', '/midjourney/tasks')).toBe(1);
		// Started on a worker, resumed on a worker (the same one or the other).
		const ranOn = cluster.processesThatRan(executionId);
		expect(ranOn).toHaveLength(2);
		expect(ranOn.every((name) => name.startsWith('worker-'))).toBe(true);
		expect(cluster.balancer.routedTo('/webhook-waiting/')).toEqual([
			expect.objectContaining({ path: `/webhook-waiting/${executionId}`, status: 200 }),
		]);
	});

	it('callback mode with several items: each callback reaches the webhook process, the last finished one resumes the execution once on a worker', async () => {
		fake.faults.neverFinish = true;
		const webhookPath = `mj-queue-batch-${randomUUID().slice(0, 8)}`;
		const sideEffectPath = `/results/side-effect-${webhookPath}/grid.png`;
		const workflow = await cluster.main.deployWorkflow(
			loadFixture('callback-mode-batch', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				SIDE_EFFECT_URL: `${fake.url}${sideEffectPath}`,
				CREDENTIAL_ID: credential.id,
				CREDENTIAL_NAME: credential.name,
			}),
		);
		const prompts = ['one: add a kite', 'two: add a balloon', 'three: add a plane'];
		const response = await cluster.callWebhook(webhookPath, { edits: prompts.map((prompt) => ({ imageUrl: SOURCE_IMAGE, prompt })) });
		expect(response.status).toBe(200);
		const created = await fake.waitFor(() => (fake.tasks.size === 3 ? [...fake.tasks.values()] : undefined), 60_000);
		const tasks = prompts.map((prompt) => created.find((task) => task.record.request.prompt === prompt)!);
		const executionId = new URL(tasks[0].callbackUrl!).pathname.split('/').pop()!;
		await untilWaiting(cluster.main, executionId);

		// Two finish at the same moment (their callbacks race), then the last one.
		fake.finishTask(tasks[0].id);
		fake.finishTask(tasks[2].id);
		await fake.waitFor(() => (fake.callbacks.length === 2 ? true : undefined), 30_000);
		expect((await cluster.main.getExecution(executionId, false)).status).toBe('waiting');
		fake.finishTask(tasks[1].id);

		const execution = await cluster.main.waitForExecution(
			(candidate) => candidate.id === executionId && candidate.status === 'success' && (candidate.data?.resultData.runData['Side Effect']?.length ?? 0) > 0,
			{ workflowId: workflow.id, timeoutMs: 60_000 },
		);
		expect(nodeOutput(execution, EDIT_NODE).map((item) => item.task_id)).toEqual(tasks.map((task) => task.id));
		expect(fake.callbacks.map((entry) => entry.status)).toEqual([200, 200, 200]);
		const resumeRequests = cluster.balancer.routedTo('/webhook-waiting/').filter((entry) => entry.path === `/webhook-waiting/${executionId}`);
		expect(resumeRequests.map((entry) => entry.upstream)).toEqual(['webhook', 'webhook', 'webhook']);
		const ranOn = cluster.processesThatRan(executionId);
		expect(ranOn).toHaveLength(2);
		expect(ranOn.every((name) => name.startsWith('worker-'))).toBe(true);
		// All three callbacks have been answered (above) and only the last could resume: the one resumed run
		// (ranOn: the start and the resume) did the side effect once.
		expect(fake.requests.filter((entry) => entry.path === sideEffectPath)).toHaveLength(1);
	});

	describe('the trigger, when the API repeats a callback', () => {
		afterEach(() => cluster.routeWebhooks(['webhook']));

		/** Submits an edit that calls the trigger back, and waits for the fake's deliveries (2 with 'duplicate'). */
		async function editWithCallback(webhookPath: string, triggerUrl: string, round: number, deliveries: number) {
			const response = await cluster.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: `round ${round}`, callbackUrl: triggerUrl });
			expect(response.status).toBe(200);
			const taskId = (response.body as Array<{ task_id: string }>)[0].task_id;
			const delivered = await fake.waitFor(() => {
				const found = fake.callbacks.filter((entry) => entry.taskId === taskId);
				return found.length === deliveries ? found : undefined;
			}, 30_000);
			expect(delivered.map((entry) => entry.status)).toEqual(Array(deliveries).fill(200));
			return taskId;
		}

		/**
		 * Waits for the trigger's execution of the last task, then counts the workflow's executions once a
		 * later callback's execution is listed (marker.ts), so a wrongly started second one is seen
		 * without a guessed pause. The marker's request shows in the balancer's log of the callback path.
		 */
		async function triggerExecutions(trigger: { workflowId: string; url: string }, taskIds: string[]): Promise<N8nExecution[]> {
			await cluster.main.waitForExecution(
				(candidate) => candidate.status === 'success' && executionTaskId(candidate) === taskIds[taskIds.length - 1],
				{ workflowId: trigger.workflowId, timeoutMs: 30_000 },
			);
			return await executionsBeforeMarker(cluster.main, fake, { workflowId: trigger.workflowId, callbackUrl: trigger.url, token: TOKEN, timeoutMs: 60_000 });
		}

		it.each(['none', 'grid'] as const)(
			"n8n's layout (webhooks to the webhook process, executions on workers): one execution per task (Download Images: %s)",
			async (downloadImages) => {
				cluster.routeWebhooks(['webhook']);
				const trigger = await deployTrigger(downloadImages);
				const { path: webhookPath } = await deployEdit({ waitMode: 'none', responseMode: 'lastNode' });
				fake.faults.callbackMode = 'duplicate';

				const taskIds: string[] = [];
				for (let round = 0; round < 3; round++) taskIds.push(await editWithCallback(webhookPath, trigger.url, round, 2));
				const routed = cluster.balancer.routedTo(new URL(trigger.url).pathname).map((entry) => entry.upstream);

				const executions = await triggerExecutions(trigger, taskIds);
				expect(executions.map(executionTaskId).sort()).toEqual([...taskIds].sort());
				for (const execution of executions) {
					expect(execution.status).toBe('success');
					expect(cluster.processesThatRan(execution.id)).toEqual([expect.stringMatching(/^worker-/)]);
					if (downloadImages === 'grid') expect(triggerBinary(execution)?.fileName).toBe(`${executionTaskId(execution)}.png`);
				}
				expect(routed).toEqual(Array(6).fill('webhook'));
			},
		);

		it('several webhook-serving processes behind a balancer that hashes the URI: repeats reach one process, one execution per task', async () => {
			cluster.routeWebhooks(['webhook', 'main'], 'hash-uri');
			const trigger = await deployTrigger('none');
			const { path: webhookPath } = await deployEdit({ waitMode: 'none', responseMode: 'lastNode' });
			fake.faults.callbackMode = 'duplicate';
			const callbackPath = new URL(trigger.url).pathname;

			// Until both processes have received callbacks (each task's signed URL hashes differently).
			const taskIds: string[] = [];
			const upstreamsUsed = () => new Set(cluster.balancer.routedTo(callbackPath).map((entry) => entry.upstream));
			while (upstreamsUsed().size < 2 && taskIds.length < 12) {
				taskIds.push(await editWithCallback(webhookPath, trigger.url, taskIds.length, 2));
			}
			expect([...upstreamsUsed()].sort()).toEqual(['main', 'webhook']);
			const routed = cluster.balancer.routedTo(callbackPath);
			for (let pair = 0; pair < taskIds.length; pair++) expect(routed[2 * pair + 1].upstream).toBe(routed[2 * pair].upstream);

			const executions = await triggerExecutions(trigger, taskIds);
			expect(executions.map(executionTaskId).sort()).toEqual([...taskIds].sort());
		});

		it('a repeat reaching another process later is recognised from the saved static data', async () => {
			cluster.routeWebhooks(['webhook']);
			const trigger = await deployTrigger('none');
			const { path: webhookPath } = await deployEdit({ waitMode: 'none', responseMode: 'lastNode' });
			const taskId = await editWithCallback(webhookPath, trigger.url, 0, 1);
			await cluster.main.waitForExecution(
				(candidate) => candidate.status === 'success' && executionTaskId(candidate) === taskId,
				{ workflowId: trigger.workflowId, timeoutMs: 30_000 },
			);

			// The repeat goes to the main instance, which never saw this task in memory.
			cluster.routeWebhooks(['main']);
			const repeat = await fake.deliverCallback(taskId);
			expect(repeat.status).toBe(200);
			expect(cluster.balancer.routedTo(new URL(trigger.url).pathname).map((entry) => entry.upstream)).toEqual(['webhook', 'main']);

			const executions = await triggerExecutions(trigger, [taskId]);
			expect(executions.map(executionTaskId)).toEqual([taskId]);
		});
	});

	it('files: a worker uploads a file made in the workflow and stores the four split images, readable by the other processes', async () => {
		const webhookPath = `mj-queue-files-${randomUUID().slice(0, 8)}`;
		const workflow = await cluster.main.deployWorkflow(
			loadFixture('binary-in-split-out', {
				WEBHOOK_ID: randomUUID(),
				WEBHOOK_PATH: webhookPath,
				// The webhook-serving process answers with the first file, which a worker stored.
				RESPONSE_DATA: 'firstEntryBinary',
				CREDENTIAL_ID: credential.id,
				CREDENTIAL_NAME: credential.name,
			}),
		);
		const photo = encodeRgbPng(8, 8, (x, y) => [x * 30, y * 30, 200]);

		const response = await cluster.callWebhook(webhookPath, { pngBase64: photo.toString('base64') });

		expect(response.status).toBe(200);
		// Binary input: the file made by "Convert to File" on a worker was uploaded as it was.
		expect([...fake.uploads.values()].map((upload) => upload.bytes.equals(photo))).toEqual([true]);
		const execution = await cluster.main.waitForExecution((candidate) => candidate.status === 'success', { workflowId: workflow.id });
		const runs = execution.data!.resultData.runData[EDIT_NODE];
		const items = runs[runs.length - 1].data!.main![0]! as Array<{ json: Record<string, unknown>; binary?: Record<string, BinaryMeta> }>;
		expect(items.map((item) => item.json.quarter)).toEqual([1, 2, 3, 4]);
		const taskId = String(items[0].json.task_id);
		const task = fake.tasks.get(taskId)!;
		expect(task.record.request.image_url).toMatch(/\/uploads\//);
		const subImageUrls = (task.record.response as { sub_image_urls: string[] }).sub_image_urls;
		expect(subImageUrls).toHaveLength(4);

		for (const [index, item] of items.entries()) {
			const binary = item.binary?.data;
			expect(binary).toEqual(expect.objectContaining({ fileName: `${taskId}_${index + 1}.png`, mimeType: 'image/png' }));
			const original = Buffer.from(await (await fetch(subImageUrls[index])).arrayBuffer());
			if (isN8n1x(N8N_VERSION)) {
				// n8n 1.x has no database mode for binary data by default: the bytes travel inside the execution.
				expect(Buffer.from(binary?.data ?? '', 'base64').equals(original)).toBe(true);
			} else {
				// Database mode: the execution holds a reference, not the bytes; the main instance reads them.
				expect(binary?.id).toMatch(/^database:/);
				const stored = await cluster.readBinaryData(binary!.id!);
				expect(stored.status).toBe(200);
				expect(stored.bytes.equals(original)).toBe(true);
			}
			// n8n 1.123 answers a file kept inside the execution as JSON {"type":"Buffer",...} (its own
			// behaviour for any node), so the webhook's file answer is checked on 2.x only.
			if (index === 0 && !isN8n1x(N8N_VERSION)) {
				expect(response.headers.get('content-type')).toMatch(/^image\/png/);
				expect(response.bytes.equals(original)).toBe(true);
			}
		}
		expect(cluster.processesThatRan(execution.id)).toEqual([expect.stringMatching(/^worker-/)]);
	});
});

function executionTaskId(execution: N8nExecution): string {
	return String(nodeOutput(execution, TRIGGER_NODE)[0]?.task_id);
}

function triggerBinary(execution: N8nExecution): BinaryMeta | undefined {
	const runs = execution.data?.resultData.runData[TRIGGER_NODE] ?? [];
	const item = runs[runs.length - 1]?.data?.main?.[0]?.[0] as { binary?: Record<string, BinaryMeta> } | undefined;
	return item?.binary?.data;
}
