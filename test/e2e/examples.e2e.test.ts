/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * The importable example workflows in examples/ (issue 7): each imports into a real n8n 2.41.1 as it
 * is shipped, and the ones that can run here run against the fake Ace Data Cloud API. Only what a
 * user changes after importing is replaced at load time: the credential (examples name it, they
 * carry no id or secret), and for the callback example the private-address switch a local n8n needs.
 * The AI agent example cannot run (no language model here): it is imported and its tool node checked.
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';

import { DEFAULT_PLATFORM_TOKEN, startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng, upscaledImagePng } from '../fake-api/pngs';
import { N8nInstance, nodeOutput, PACKAGE_NAME, type CreatedCredential, type WorkflowFixture } from './n8nInstance';
import { repoRoot } from './packageUnderTest';
import { filesOfCompletionPage, formUrl, nodeOutputItems, postMultipart, readStoredBinary, sleep } from './support';

const EXAMPLES_DIR = path.join(repoRoot, 'examples');
const API_TOKEN = 'examples-e2e-token';
/** The credential name every example refers to (what a user's first credential is called by default). */
const CREDENTIAL_NAME = 'Ace Data Cloud account';

type ExampleNode = Record<string, unknown> & {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, Record<string, unknown>>;
};
interface Example extends WorkflowFixture {
	nodes: ExampleNode[];
}

function exampleFiles(): string[] {
	return readdirSync(EXAMPLES_DIR)
		.filter((name) => name.endsWith('.json'))
		.sort();
}

function readExample(file: string): Example {
	return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as Example;
}

/**
 * An example as a user has it after importing and picking their credentials: every credential
 * reference of a type in `credentials` points at that stored credential.
 */
function prepareExample(file: string, credentials: Record<string, CreatedCredential>): Example {
	const example = readExample(file);
	for (const node of example.nodes) {
		for (const type of Object.keys(node.credentials ?? {})) {
			const stored = credentials[type];
			if (stored) node.credentials![type] = { id: stored.id, name: stored.name };
		}
	}
	return example;
}

function nodeNamed(example: Example, name: string): ExampleNode {
	const found = example.nodes.find((candidate) => candidate.name === name);
	if (!found) throw new Error(`example "${example.name}" has no node "${name}"`);
	return found;
}

/** Every string anywhere in a JSON value, with its path (for the no-secrets check). */
function stringsIn(value: unknown, at = '$'): Array<{ at: string; value: string }> {
	if (typeof value === 'string') return [{ at, value }];
	if (Array.isArray(value)) return value.flatMap((inner, index) => stringsIn(inner, `${at}[${index}]`));
	if (value && typeof value === 'object') {
		return Object.entries(value).flatMap(([key, inner]) => stringsIn(inner, `${at}.${key}`));
	}
	return [];
}

/**
 * Polls a waiting form's status the way n8n's own waiting page does (`/n8n-execution-status` beside
 * the form-waiting URL, signature kept) until its next page can be shown or the execution ended.
 */
async function waitForFormPage(formWaitingUrl: string, timeoutMs: number): Promise<string> {
	const statusUrl = new URL(formWaitingUrl);
	statusUrl.pathname = `${statusUrl.pathname.replace(/\/+$/, '')}/n8n-execution-status`;
	const deadline = Date.now() + timeoutMs;
	let status = '';
	while (Date.now() < deadline) {
		status = (await (await fetch(statusUrl)).text()).trim();
		if (['form-waiting', 'canceled', 'crashed', 'error', 'success'].includes(status)) return status;
		await sleep(500);
	}
	throw new Error(`the form's next page was not ready within ${timeoutMs} ms (last status "${status}")`);
}

describe('the example workflows in examples/', () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let aceCredential: CreatedCredential;
	let ourNodeTypes: Map<string, Set<string>>;
	let knownNodeTypes: Map<string, Array<number>>;

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [API_TOKEN], jobDurationMs: 1500 });
		n8n = await N8nInstance.start();
		aceCredential = await n8n.createCredential({
			name: CREDENTIAL_NAME,
			type: 'aceDataCloudApi',
			data: { apiToken: API_TOKEN, platformToken: DEFAULT_PLATFORM_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
		});
		const types = await n8n.nodeTypes();
		knownNodeTypes = new Map();
		ourNodeTypes = new Map();
		for (const type of types) {
			const versions = Array.isArray(type.version) ? type.version : [type.version];
			knownNodeTypes.set(type.name, [...(knownNodeTypes.get(type.name) ?? []), ...versions]);
			if (type.name.startsWith(`${PACKAGE_NAME}.`)) {
				const properties = (type.properties as Array<{ name: string }> | undefined) ?? [];
				ourNodeTypes.set(type.name, new Set(properties.map((property) => property.name)));
			}
		}
	});

	beforeEach(() => fake.reset());

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	describe('as files', () => {
		it('are the documented examples, each listed in the README', () => {
			const files = exampleFiles();
			expect(files).toEqual([
				'ai-agent-tool.json',
				'callback-1-submit-edits.json',
				'callback-2-receive-results.json',
				'form-edit-upscale.json',
				'form-upload-edit.json',
				'spreadsheet-batch-edits.json',
			]);
			const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
			for (const file of files) expect({ file, inReadme: readme.includes(`examples/${file}`) }).toEqual({ file, inReadme: true });
		});

		it('carry no secrets and refer to credentials by name only', () => {
			for (const file of exampleFiles()) {
				const example = readExample(file);
				for (const node of example.nodes) {
					for (const [type, reference] of Object.entries(node.credentials ?? {})) {
						expect({ file, node: node.name, type, reference }).toEqual({
							file,
							node: node.name,
							type,
							reference: { name: expect.any(String) },
						});
					}
				}
				expect({ file, pinData: example.pinData }).toEqual({ file, pinData: undefined });
				const suspicious = stringsIn(example).filter(({ value }) =>
					/\bsk-[A-Za-z0-9]{10,}|Bearer\s+\S{8,}|apiToken|api[_-]?key\s*[:=]/i.test(value),
				);
				expect({ file, suspicious }).toEqual({ file, suspicious: [] });
			}
		});

		it('use only node types and versions this n8n knows, and only parameters our nodes declare', () => {
			for (const file of exampleFiles()) {
				for (const node of readExample(file).nodes) {
					const versions = knownNodeTypes.get(node.type);
					expect({ file, node: node.name, type: node.type, known: versions?.includes(node.typeVersion) ?? false }).toEqual({
						file,
						node: node.name,
						type: node.type,
						known: true,
					});
					const declared = ourNodeTypes.get(node.type);
					if (declared) {
						const unknown = Object.keys(node.parameters).filter((name) => !declared.has(name));
						expect({ file, node: node.name, unknown }).toEqual({ file, node: node.name, unknown: [] });
					}
				}
			}
		});
	});

	it('(a) form upload → edit → file: a submitted photo comes back edited as a download', async () => {
		const example = prepareExample('form-upload-edit.json', { aceDataCloudApi: aceCredential });
		const workflow = await n8n.deployWorkflow(example);
		const formPath = (nodeNamed(example, 'Upload Form').parameters.options as { path: string }).path;

		// What a browser does: load the form (retrying the brief "not registered" after activation), then
		// submit it as multipart/form-data, fields in form order (field-0: the photo, field-1: the prompt).
		let page = await fetch(formUrl(n8n, formPath));
		for (let attempt = 0; page.status === 404 && attempt < 20; attempt++) {
			await sleep(250);
			page = await fetch(formUrl(n8n, formPath));
		}
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Edit a photo with Midjourney');
		const photo = { bytes: encodeRgbPng(8, 8, () => [200, 120, 40]), fileName: 'my-dog.png', mimeType: 'image/png' };
		const prompt = 'the same dog as a watercolor painting';
		const submitted = await postMultipart(formUrl(n8n, formPath), { 'field-0': photo, 'field-1': prompt });
		expect(submitted.status).toBe(200);

		// The form answers with where the browser goes next: the ending page, once the edit is done.
		const { formWaitingUrl } = JSON.parse(submitted.text) as { formWaitingUrl: string };
		expect(formWaitingUrl).toMatch(/\/form-waiting\/\d+/);
		expect(await waitForFormPage(formWaitingUrl, 90_000)).toBe('form-waiting');
		const completion = await (await fetch(formWaitingUrl)).text();
		expect(completion).toContain('Here is your edited photo');
		const [download, ...others] = filesOfCompletionPage(completion);
		expect(others).toEqual([]);
		const [task] = [...fake.tasks.values()];
		expect(download.fileName).toBe(`${task.id}.png`);
		expect(download.mimeType).toBe('image/png');
		expect(download.bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');

		// The photo went to the platform upload byte for byte, and the edit used its link and the prompt.
		const [[servedName, uploaded], ...otherUploads] = [...fake.uploads.entries()];
		expect(otherUploads).toEqual([]);
		expect(uploaded.bytes.equals(photo.bytes)).toBe(true);
		const edit = fake.requests.find((entry) => entry.path === '/midjourney/edits')?.body as Record<string, unknown>;
		expect(edit).toEqual(expect.objectContaining({ prompt, image_url: expect.stringMatching(new RegExp(`/${servedName}$`)) }));

		// The browser acknowledges the ending page; the execution then finishes.
		await fetch(formWaitingUrl, { method: 'POST', body: '{}' });
		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', {
			workflowId: workflow.id,
			timeoutMs: 30_000,
		});
		const [edited] = nodeOutputItems(execution, 'Edit Photo');
		expect(edited.json).toEqual(expect.objectContaining({ success: true, task_id: task.id }));
		expect((await readStoredBinary(n8n, edited.binary!.data)).equals(download.bytes)).toBe(true);
	});

	it('(e) form upload → edit → upscale quarter 2 → file: the top-right version comes back upscaled as a download', async () => {
		const example = prepareExample('form-edit-upscale.json', { aceDataCloudApi: aceCredential });
		const workflow = await n8n.deployWorkflow(example);
		const formPath = (nodeNamed(example, 'Upload Form').parameters.options as { path: string }).path;

		let page = await fetch(formUrl(n8n, formPath));
		for (let attempt = 0; page.status === 404 && attempt < 20; attempt++) {
			await sleep(250);
			page = await fetch(formUrl(n8n, formPath));
		}
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Edit and upscale a photo with Midjourney');
		const photo = { bytes: encodeRgbPng(8, 8, () => [40, 120, 200]), fileName: 'my-cat.png', mimeType: 'image/png' };
		const prompt = 'the same cat as an oil painting';
		const submitted = await postMultipart(formUrl(n8n, formPath), { 'field-0': photo, 'field-1': prompt });
		expect(submitted.status).toBe(200);

		// The ending page comes once the edit and then the upscale are done.
		const { formWaitingUrl } = JSON.parse(submitted.text) as { formWaitingUrl: string };
		expect(await waitForFormPage(formWaitingUrl, 120_000)).toBe('form-waiting');
		const completion = await (await fetch(formWaitingUrl)).text();
		expect(completion).toContain('Here is your upscaled photo');
		const [download, ...others] = filesOfCompletionPage(completion);
		expect(others).toEqual([]);

		// One edit of the uploaded photo, then one upscale of quarter 2 of its result, on the edit's image_id.
		const edits = [...fake.tasks.values()].filter((task) => task.record.type === 'edits');
		const upscales = [...fake.tasks.values()].filter((task) => task.record.type === 'imagine');
		expect([edits.length, upscales.length]).toEqual([1, 1]);
		const [edit] = edits;
		const [upscale] = upscales;
		expect(edit.record.request).toEqual(expect.objectContaining({ prompt, image_url: expect.stringMatching(/\/uploads\//) }));
		expect(upscale.record.request).toEqual(
			expect.objectContaining({ action: 'upscale2', image_id: (edit.result as { image_id: string }).image_id }),
		);
		// The download is the fake's upscale of the grid's top-right quarter, byte for byte.
		expect(download.fileName).toBe(`${upscale.id}.png`);
		expect(download.mimeType).toBe('image/png');
		expect(download.bytes.equals(upscaledImagePng(edit.id, 1, 1))).toBe(true);

		await fetch(formWaitingUrl, { method: 'POST', body: '{}' });
		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', {
			workflowId: workflow.id,
			timeoutMs: 30_000,
		});
		const [upscaled] = nodeOutputItems(execution, 'Upscale Quarter 2');
		expect(upscaled.json).toEqual(expect.objectContaining({ success: true, task_id: upscale.id }));
	});

	it('(b) spreadsheet rows → batch edits in poll mode → a results table and a CSV file', async () => {
		const example = prepareExample('spreadsheet-batch-edits.json', { aceDataCloudApi: aceCredential });
		const workflow = await n8n.createWorkflow(example);

		const executionId = await n8n.runManually(workflow.id, "When clicking 'Execute workflow'");
		// The example keeps its 5 s poll interval: a few rounds for three 1.5 s jobs.
		const execution = await n8n.waitForExecutionToFinish(executionId, 120_000);
		expect({ status: execution.status, error: execution.data?.resultData.error?.message }).toEqual({ status: 'success', error: undefined });

		// Three rows, three paid edits, submitted with the example's settings.
		const submissions = fake.requests.filter((entry) => entry.path === '/midjourney/edits').map((entry) => entry.body as Record<string, unknown>);
		expect(submissions).toHaveLength(3);
		expect(submissions.every((body) => body.mode === 'relax' && body.split_images === true)).toBe(true);
		// Polled together: far fewer lookups than one per task per round.
		expect(fake.tasksRequestsFor('retrieve_batch').length).toBeGreaterThanOrEqual(1);

		const rows = nodeOutput(execution, 'Spreadsheet Rows');
		const table = nodeOutput(execution, 'Results Table');
		expect(table).toHaveLength(3);
		table.forEach((row, index) => {
			// Each result stays paired with its row (the node keeps pairedItem).
			expect(row).toEqual({
				source_image: rows[index].image_url,
				prompt: rows[index].prompt,
				task_id: expect.any(String),
				grid_image: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/.+\.png/),
				first_image: expect.stringMatching(/\.png/),
			});
		});
		const [csvItem] = nodeOutputItems(execution, 'Results as CSV');
		expect(csvItem.binary?.data).toEqual(expect.objectContaining({ fileName: 'midjourney-edits.csv' }));
		const csv = (await readStoredBinary(n8n, csvItem.binary!.data)).toString('utf8');
		expect(csv.split('\n')[0]).toMatch(/source_image,prompt,task_id,grid_image,first_image/);
		for (const row of table) expect(csv).toContain(String(row.task_id));
	});

	it('(c) callback via the trigger: the submitter returns task ids at once, each result starts the receiver', async () => {
		const receiver = await n8n.deployWorkflow(prepareExample('callback-2-receive-results.json', { aceDataCloudApi: aceCredential }));
		const submitter = prepareExample('callback-1-submit-edits.json', { aceDataCloudApi: aceCredential });
		// This n8n listens on 127.0.0.1, which the node refuses to hand out as a callback address
		// unless told: a user's n8n has a public WEBHOOK_URL instead.
		const submitNode = nodeNamed(submitter, 'Submit Edit');
		submitNode.parameters.options = { ...(submitNode.parameters.options as object), allowPrivateCallbackUrl: true };
		const submitWorkflow = await n8n.createWorkflow(submitter);

		const executionId = await n8n.runManually(submitWorkflow.id, "When clicking 'Execute workflow'");
		const submitted = await n8n.waitForExecutionToFinish(executionId, 60_000);
		expect(submitted.status).toBe('success');
		const acknowledged = nodeOutput(submitted, 'Submit Edit');
		expect(acknowledged).toHaveLength(2);
		const taskIds = acknowledged.map((item) => item.task_id as string);
		expect(taskIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
		expect(acknowledged.every((item) => item.image_url === undefined)).toBe(true);

		// The Callback URL expression in the example resolves to the receiver's trigger, signed.
		const triggerUrl = n8n.webhookUrl('8a3e5f21-94c7-4d0b-a6e2-1f7c9b3d5e02/callback');
		for (const id of taskIds) {
			const handedOut = fake.tasks.get(id)?.callbackUrl ?? '';
			expect(handedOut.startsWith(`${triggerUrl}?`)).toBe(true);
			expect(handedOut).toContain('mj_sig=');
		}

		const received = await fake.waitFor(() => (fake.callbacks.filter((entry) => entry.status === 200).length >= 2 ? true : undefined), 30_000);
		expect(received).toBe(true);
		const executions = await (async () => {
			const deadline = Date.now() + 30_000;
			for (;;) {
				const finished = (await n8n.listExecutions({ workflowId: receiver.id, includeData: true })).filter(
					(candidate) => candidate.status === 'success',
				);
				if (finished.length >= 2 || Date.now() > deadline) return finished;
				await sleep(500);
			}
		})();
		expect(executions).toHaveLength(2);
		const editedTaskIds = executions.map((execution) => nodeOutputItems(execution, 'Edited Image')[0]);
		expect(editedTaskIds.map((item) => item.json.task_id).sort()).toEqual([...taskIds].sort());
		for (const item of editedTaskIds) {
			expect(item.json.image_url).toEqual(expect.stringMatching(/\.png/));
			// The trigger downloaded the grid: the file reaches the node the user replaces.
			expect(item.binary?.data).toEqual(expect.objectContaining({ mimeType: 'image/png' }));
		}
	});

	it('(d) AI agent: imports with the Midjourney Edits tool recognised and connected to the agent', async () => {
		// The user's OpenAI credential: never used here (no model can run), only selected.
		const openAiCredential = await n8n.createCredential({
			name: 'OpenAI account',
			type: 'openAiApi',
			data: { apiKey: 'not-a-real-key', url: 'https://api.openai.com/v1' },
		});
		const example = prepareExample('ai-agent-tool.json', { aceDataCloudApi: aceCredential, openAiApi: openAiCredential });
		const created = await n8n.createWorkflow(example);
		const stored = await n8n.publicApi<Example>('GET', `/workflows/${created.id}`);

		const tool = nodeNamed(stored, 'Midjourney Edits');
		expect(tool.type).toBe(`${PACKAGE_NAME}.midjourneyEditsTool`);
		// n8n derives the tool from `usableAsTool`, adding its description parameters.
		const declared = ourNodeTypes.get(tool.type);
		expect(declared).toBeDefined();
		expect([...declared!]).toEqual(expect.arrayContaining(['toolDescription', 'descriptionType', 'imageUrl', 'prompt']));
		expect(Object.keys(tool.parameters).filter((name) => !declared!.has(name))).toEqual([]);
		expect(tool.credentials).toEqual({ aceDataCloudApi: { id: aceCredential.id, name: CREDENTIAL_NAME } });
		// The model fills the link and the prompt (n8n's "Defined automatically by the model" form).
		expect(tool.parameters.imageUrl).toMatch(/^=\{\{ \/\*n8n-auto-generated-fromAI-override\*\/ \$fromAI\('Image_URL', `.+`, 'string'\) \}\}$/);
		expect(tool.parameters.prompt).toMatch(/^=\{\{ \/\*n8n-auto-generated-fromAI-override\*\/ \$fromAI\('Prompt', `.+`, 'string'\) \}\}$/);
		expect(stored.connections['Midjourney Edits']).toEqual({
			ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]],
		});
		// The editor's own view of the workflow: n8n reports no unknown node and no missing credential.
		const editorView = await n8n.rest<{ nodes: ExampleNode[] }>('GET', `/workflows/${created.id}`);
		expect(editorView.nodes.map((node) => node.type)).toContain(`${PACKAGE_NAME}.midjourneyEditsTool`);
	});
});
