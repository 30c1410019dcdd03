/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Files inside a real n8n 2.41.1 (issue 5): a PNG made by a built-in node is uploaded and edited,
 * the four split images come back as binary data n8n stores, and the Form Trigger example (upload a
 * photo, get the edited one back as a download) works end to end through n8n's public form URL.
 * The fake Ace Data Cloud API runs in this jest process; its result images are in pngs.ts.
 */
import { randomUUID } from 'crypto';

import { DEFAULT_PLATFORM_TOKEN, startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng, inspectPng, QUARTER_SIZE_PX, resultImagePng } from '../fake-api/pngs';
import { loadFixture, N8nInstance, nodeOutput, type CreatedCredential, type WebhookResponse } from './n8nInstance';
import {
	filesOfCompletionPage,
	formUrl,
	loadForm,
	nodeOutputItems,
	postMultipart,
	readStoredBinary,
	sleep,
	type MultipartFile,
} from './support';

const API_TOKEN = 'e2e-files-token-7c1e5a9b3d';
const SOURCE_IMAGE = 'https://cdn.example.com/e2e/source-house.png';
/** The form path of the example workflow (test/e2e/fixtures/form-edit-photo.workflow.json). */
const EXAMPLE_FORM_PATH = 'edit-my-photo';

/** A small PNG no other test makes, so finding its bytes somewhere proves where they came from. */
function distinctivePng(seed: number): Buffer {
	return encodeRgbPng(12, 9, (x, y) => [(x * 21 + seed) % 256, (y * 27 + seed * 3) % 256, (x * y + seed * 7) % 256]);
}

/**
 * Polls a waiting form's status as n8n's own waiting page does (`<form-waiting URL>/n8n-execution-status`,
 * signature kept) until the next page is ready ("form-waiting") or the execution ended; returns that status.
 */
async function waitForFormPage(formWaitingUrl: string, timeoutMs: number): Promise<string> {
	const statusUrl = new URL(formWaitingUrl);
	statusUrl.pathname = `${statusUrl.pathname}/n8n-execution-status`;
	const deadline = Date.now() + timeoutMs;
	let status = '';
	while (Date.now() < deadline) {
		status = (await (await fetch(statusUrl)).text()).trim();
		if (['form-waiting', 'canceled', 'crashed', 'error', 'success'].includes(status)) return status;
		await sleep(500);
	}
	throw new Error(`the form's next page was not ready within ${timeoutMs} ms (last status "${status}")`);
}

function items(response: WebhookResponse): Array<Record<string, unknown>> {
	expect(Array.isArray(response.body)).toBe(true);
	return response.body as Array<Record<string, unknown>>;
}

describe('files inside a real n8n', () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let credential: CreatedCredential;

	const credentialValues = () => ({ CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name });

	async function deployWebhookFixture(fixtureName: string): Promise<{ webhookPath: string; workflowId: string }> {
		const webhookPath = `mj-files-${randomUUID().slice(0, 8)}`;
		const workflow = await n8n.deployWorkflow(
			loadFixture(fixtureName, { WEBHOOK_ID: randomUUID(), WEBHOOK_PATH: webhookPath, ...credentialValues() }),
		);
		return { webhookPath, workflowId: workflow.id };
	}

	/** The one upload the fake received, with the URL it served it under. */
	function theUpload(): { url: string; fileName: string; mimeType: string; bytes: Buffer } {
		const uploads = [...fake.uploads.entries()];
		expect(uploads).toHaveLength(1);
		const [servedName, upload] = uploads[0];
		return { url: `${fake.url}/uploads/${servedName}`, ...upload };
	}

	function theEditSubmission(): Record<string, unknown> {
		const submissions = fake.requests.filter((entry) => entry.method === 'POST' && entry.path === '/midjourney/edits');
		expect(submissions).toHaveLength(1);
		return submissions[0].body as Record<string, unknown>;
	}

	beforeAll(async () => {
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [API_TOKEN], jobDurationMs: 1000 });
		n8n = await N8nInstance.start();
		credential = await n8n.createCredential({
			name: 'Ace Data Cloud (e2e files)',
			type: 'aceDataCloudApi',
			data: { apiToken: API_TOKEN, platformToken: DEFAULT_PLATFORM_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
		});
	});

	beforeEach(() => {
		fake.reset();
	});

	afterAll(async () => {
		await n8n?.stop();
		await fake?.close();
	});

	it('uploads a PNG that "Convert to File" made from base64, then edits the uploaded URL', async () => {
		const { webhookPath, workflowId } = await deployWebhookFixture('edit-binary-from-base64');
		const sourcePng = distinctivePng(1);

		const response = await n8n.callWebhook(webhookPath, { pngBase64: sourcePng.toString('base64'), prompt: 'give it a golden frame' });

		expect(response.status).toBe(200);
		const [result, ...rest] = items(response);
		expect(rest).toEqual([]);
		expect(result).toEqual(expect.objectContaining({ success: true, task_id: expect.any(String) }));

		// The fake received exactly the bytes n8n's Convert to File node produced, named as that node named them.
		const upload = theUpload();
		expect(upload.bytes.toString('base64')).toBe(sourcePng.toString('base64'));
		expect(upload.fileName).toBe('photo.png');
		expect(upload.mimeType).toBe('image/png');
		const uploadRequest = fake.requests.find((entry) => entry.path === '/api/v1/files/');
		expect(uploadRequest).toEqual(expect.objectContaining({ authorized: true, status: 200 }));

		// The edit was submitted after the upload, with the uploaded file's URL and the prompt.
		const submitted = theEditSubmission();
		expect(submitted).toEqual(expect.objectContaining({ image_url: upload.url, prompt: 'give it a golden frame' }));
		const editRequest = fake.requests.find((entry) => entry.path === '/midjourney/edits');
		expect(editRequest!.at).toBeGreaterThanOrEqual(uploadRequest!.at);
		expect(fake.tasks.get(String(result.task_id))?.record.request.image_url).toBe(upload.url);

		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
		expect(nodeOutput(execution, 'Midjourney Edits')).toEqual([expect.objectContaining({ task_id: result.task_id, success: true })]);
	});

	it('downloads the four split images as binary data n8n stores with the execution', async () => {
		const { webhookPath, workflowId } = await deployWebhookFixture('edit-split-download');

		const response = await n8n.callWebhook(webhookPath, { imageUrl: SOURCE_IMAGE, prompt: 'four seasons' });

		expect(response.status).toBe(200);
		const answered = items(response);
		expect(answered.map((item) => [item.quarter, item.position])).toEqual([
			[1, 'top-left'],
			[2, 'top-right'],
			[3, 'bottom-left'],
			[4, 'bottom-right'],
		]);
		const taskId = String(answered[0].task_id);
		expect(theEditSubmission()).toEqual(expect.objectContaining({ image_url: SOURCE_IMAGE, split_images: true }));

		const execution = await n8n.waitForExecution((candidate) => candidate.status === 'success', { workflowId });
		const output = nodeOutputItems(execution, 'Midjourney Edits');
		expect(output).toHaveLength(4);
		for (const [index, item] of output.entries()) {
			const quarter = (index + 1) as 1 | 2 | 3 | 4;
			expect(item.json).toEqual(expect.objectContaining({ task_id: taskId, quarter, image_url: expect.stringContaining(`/0_${index}.png`) }));
			const binary = item.binary?.data;
			expect(binary).toEqual(expect.objectContaining({ mimeType: 'image/png', fileName: `${taskId}_${quarter}.png` }));

			const bytes = await readStoredBinary(n8n, binary!);

			// Byte for byte the PNG the fake served for this quarter, and a valid 16x16 image.
			expect(bytes.toString('base64')).toBe(resultImagePng(taskId, index as 0 | 1 | 2 | 3).toString('base64'));
			expect(inspectPng(bytes)).toEqual(expect.objectContaining({ width: QUARTER_SIZE_PX, height: QUARTER_SIZE_PX }));
		}
		// Each quarter was fetched once, without the API token (CDN links are public).
		for (const index of [0, 1, 2, 3]) {
			const downloads = fake.requests.filter((entry) => entry.method === 'GET' && entry.path === `/results/${taskId}/0_${index}.png`);
			expect(downloads.map((entry) => entry.status)).toEqual([200]);
		}
	});

	it('runs the Form Trigger example: a submitted photo is edited and handed back as a download', async () => {
		const workflow = await n8n.deployWorkflow(loadFixture('form-edit-photo', credentialValues()));
		const photo: MultipartFile = { bytes: distinctivePng(2), fileName: 'holiday.png', mimeType: 'image/png' };
		const prompt = 'the same scene as a watercolor painting';

		// What a browser does: load the form, then submit it as multipart/form-data (fields field-0, field-1).
		const page = await loadForm(n8n, EXAMPLE_FORM_PATH);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Edit a photo with Midjourney');
		const submitted = await postMultipart(formUrl(n8n, EXAMPLE_FORM_PATH), { 'field-0': photo, 'field-1': prompt });

		// The form answers once the workflow reaches its ending page: where the browser goes next.
		expect(submitted.status).toBe(200);
		const { formWaitingUrl } = JSON.parse(submitted.text) as { formWaitingUrl: string };
		const executionId = /\/form-waiting\/(\d+)\?signature=[0-9a-f]+$/.exec(formWaitingUrl)?.[1];
		expect(executionId).toEqual(expect.any(String));
		// Like the browser's waiting page: ask n8n until the workflow has reached its ending page.
		expect(await waitForFormPage(formWaitingUrl, 60_000)).toBe('form-waiting');

		// The photo went to the platform byte for byte and the edit used its URL and the typed prompt.
		const upload = theUpload();
		expect(upload.bytes.toString('base64')).toBe(photo.bytes.toString('base64'));
		expect(upload.fileName).toBe('holiday.png');
		expect(theEditSubmission()).toEqual(expect.objectContaining({ image_url: upload.url, prompt }));
		const [task] = [...fake.tasks.values()];

		// The ending page hands the browser the edited grid image as a file.
		const completion = await fetch(formWaitingUrl);
		expect(completion.status).toBe(200);
		const files = filesOfCompletionPage(await completion.text());
		expect(files.map((file) => [file.fileName, file.mimeType])).toEqual([[`${task.id}.png`, 'image/png']]);
		expect(files[0].bytes.toString('base64')).toBe(resultImagePng(task.id, 'grid').toString('base64'));

		// The page's own script then posts back, which ends the execution.
		const acknowledged = await fetch(formWaitingUrl, { method: 'POST', body: '{}' });
		expect(acknowledged.status).toBe(200);
		const execution = await n8n.waitForExecutionToFinish(executionId!, 30_000);
		expect(execution.status).toBe('success');
		expect(execution.workflowId).toBe(workflow.id);
		const [formItem] = nodeOutputItems(execution, 'Photo Form');
		expect(formItem.json).toEqual(expect.objectContaining({ prompt, formMode: 'production' }));
		expect(formItem.binary?.photo).toEqual(expect.objectContaining({ fileName: 'holiday.png', mimeType: 'image/png' }));
		const [edited] = nodeOutputItems(execution, 'Edit Photo');
		expect(edited.json).toEqual(expect.objectContaining({ task_id: task.id, success: true }));
		expect((await readStoredBinary(n8n, edited.binary!.data)).toString('base64')).toBe(resultImagePng(task.id, 'grid').toString('base64'));
	});
});
