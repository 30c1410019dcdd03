/**
 * Files in (binary image and mask from a previous node, uploaded to the platform) and files out
 * (grid or four split images as n8n binary data), in both binary data modes n8n offers.
 */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng, inspectPng, resultImagePng } from '../fake-api/pngs';
import { CAT, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

const PHOTO = encodeRgbPng(8, 8, () => [200, 120, 40]);
const MASK = encodeRgbPng(8, 8, (x) => (x < 4 ? [255, 255, 255] : [0, 0, 0]));
const binaryInput = (binary: Record<string, { data: Buffer; mimeType: string; fileName?: string }>) => [
	{ json: { prompt: CAT.prompt }, binary },
];
const fromBinary = { imageSource: 'binary', binaryPropertyName: 'data' };
const descriptionOf = (error: unknown) => String((error as { description?: string }).description ?? '');

describe('input image from a previous node', () => {
	it.each(['default', 'filesystem'] as const)(
		'uploads the file to the platform and edits the uploaded URL (%s binary mode)',
		async (binaryMode) => {
			const result = await runEdit(fake, binaryInput({ data: { data: PHOTO, mimeType: 'image/png', fileName: 'photo.png' } }), fromBinary, {
				binaryMode,
			});
			expect(result.status).toBe('success');
			const [upload] = [...fake.uploads.values()];
			expect(upload.bytes.equals(PHOTO)).toBe(true);
			expect(upload).toMatchObject({ fileName: 'photo.png', mimeType: 'image/png' });
			const submitted = fake.requests.find((entry) => entry.path === '/midjourney/edits')!.body as { image_url: string };
			expect(submitted.image_url).toMatch(new RegExp(`^${fake.url}/uploads/`));
		},
	);

	it('trusts the bytes, not the declared type: a PNG labelled octet-stream is sent as image/png', async () => {
		await runEdit(fake, binaryInput({ data: { data: PHOTO, mimeType: 'application/octet-stream', fileName: 'x.bin' } }), fromBinary);
		expect([...fake.uploads.values()][0].mimeType).toBe('image/png');
	});

	it('accepts the upload answer under `url` too', async () => {
		fake.faults.uploadResponseKey = 'url';
		const result = await runEdit(fake, binaryInput({ data: { data: PHOTO, mimeType: 'image/png' } }), fromBinary);
		expect(result.status).toBe('success');
	});

	it('refuses a file that is not an image before any request', async () => {
		const result = await runEdit(fake, binaryInput({ data: { data: Buffer.from('%PDF-1.7 ...'), mimeType: 'application/pdf' } }), fromBinary);
		expect(result.error?.message).toMatch(/input image in 'data' is not a PNG, JPEG, WebP or GIF image \[item 1\]/);
		expect(fake.requests).toHaveLength(0);
	});

	it('refuses an empty file before any request', async () => {
		const result = await runEdit(fake, binaryInput({ data: { data: Buffer.alloc(0), mimeType: 'image/png' } }), fromBinary);
		expect(result.error?.message).toMatch(/is empty/);
		expect(fake.requests).toHaveLength(0);
	});

	it('names the binary fields the item does have when the field is missing', async () => {
		const result = await runEdit(fake, binaryInput({ photo: { data: PHOTO, mimeType: 'image/png' } }), fromBinary);
		expect(result.error?.message).toBe("No binary field 'data' in the input (Input Data Field Name) [item 1]");
		expect(descriptionOf(result.error)).toMatch(/binary fields: photo/);
		expect(fake.requests).toHaveLength(0);
	});

	it('names the upload step and the token used when the platform refuses it; no edit is sent', async () => {
		fake.faults.uploadRejectsToken = true;
		const result = await runEdit(fake, binaryInput({ data: { data: PHOTO, mimeType: 'image/png' } }), fromBinary);
		expect(result.error?.message).toMatch(/^Uploading the input image failed: .*rejected the Platform Token/);
		expect(descriptionOf(result.error)).toMatch(/'Platform Token' in your 'Ace Data Cloud API' credential/);
		expect(fake.count('POST', '/midjourney/edits')).toBe(0);
	});

	it('retries an upload that hit a server error (uploads are never billed)', async () => {
		fake.faults.uploadServerError = 1;
		const result = await runEdit(fake, binaryInput({ data: { data: PHOTO, mimeType: 'image/png' } }), fromBinary);
		expect(result.status).toBe('success');
		expect(fake.count('POST', /^\/api\/v1\/files/)).toBe(2);
	});
});

describe('mask', () => {
	it('sends a binary mask as raw base64', async () => {
		const result = await runEdit(
			fake,
			[{ json: CAT, binary: { mask: { data: MASK, mimeType: 'image/png' } } }],
			{ options: { maskBinaryPropertyName: 'mask' } },
		);
		expect(result.status).toBe('success');
		const submitted = fake.requests.find((entry) => entry.path === '/midjourney/edits')!.body as { mask: string };
		expect(Buffer.from(submitted.mask, 'base64').equals(MASK)).toBe(true);
	});
});

describe('downloading results', () => {
	it('grid: attaches the grid image as binary "data" with a readable name', async () => {
		const result = await runEdit(fake, [{ json: CAT }], { output: 'grid', options: { pollIntervalSeconds: 1 } });
		expect(result.status).toBe('success');
		const [item] = result.nodeOutputs('Midjourney Edits');
		const taskId = String(item.json.task_id);
		expect(item.binary?.data).toMatchObject({ fileName: `${taskId}.png`, mimeType: 'image/png' });
		const bytes = await result.binaryBuffer(item, 'data');
		expect(bytes.equals(resultImagePng(taskId, 'grid'))).toBe(true);
	});

	it.each(['default', 'filesystem'] as const)('split: four items, one image each, paired to the input (%s mode)', async (binaryMode) => {
		const result = await runEdit(fake, [{ json: CAT }, { json: { ...CAT, prompt: 'second' } }], {
			output: 'split', options: { pollIntervalSeconds: 1 },
		}, { binaryMode });
		expect(result.status).toBe('success');
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output).toHaveLength(8);
		expect(output.map((item) => item.pairedItem)).toEqual([0, 0, 0, 0, 1, 1, 1, 1].map((item) => ({ item })));
		expect(output.slice(0, 4).map((item) => item.json.position)).toEqual(['top-left', 'top-right', 'bottom-left', 'bottom-right']);
		const first = output[0];
		const taskId = String(first.json.task_id);
		expect(first.json).toMatchObject({ quarter: 1, task_id: taskId });
		expect(first.binary?.data.fileName).toBe(`${taskId}_1.png`);
		for (const [index, item] of output.slice(0, 4).entries()) {
			const bytes = await result.binaryBuffer(item, 'data');
			expect(bytes.equals(resultImagePng(taskId, index as 0 | 1 | 2 | 3))).toBe(true);
			expect(inspectPng(bytes).width).toBeGreaterThan(0);
		}
		// "split" turns on split_images for the user
		expect((fake.requests.find((entry) => entry.path === '/midjourney/edits')!.body as { split_images: boolean }).split_images).toBe(true);
	});

	it('retries a failed download once', async () => {
		fake.faults.downloadFailures = 1;
		const result = await runEdit(fake, [{ json: CAT }], { output: 'grid', options: { pollIntervalSeconds: 1 } });
		expect(result.status).toBe('success');
		expect(result.nodeOutputs('Midjourney Edits')[0].binary?.data).toBeDefined();
	});

	it('an expired link fails clearly, naming the task that was paid for', async () => {
		fake.faults.expiredImages = true;
		const result = await runEdit(fake, [{ json: CAT }], { output: 'grid', options: { pollIntervalSeconds: 1 } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Downloading the result image failed: HTTP 403 \(the link may have expired\)/);
		expect(descriptionOf(result.error)).toMatch(/Get \(Task resource\)/);
	});

	it('under continue-on-fail the item keeps its JSON and the error', async () => {
		fake.faults.expiredImages = true;
		const result = await runEdit(fake, [{ json: CAT }], { output: 'grid', options: { pollIntervalSeconds: 1 } }, {
			nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } },
		});
		expect(result.status).toBe('success');
		const [item] = result.nodeOutputs('Midjourney Edits');
		expect(item.json).toMatchObject({ success: true, error: expect.stringMatching(/HTTP 403/) });
		expect(item.json.image_url).toEqual(expect.any(String));
		expect(item.binary).toBeUndefined();
	});

	it('says so when a split image fails but the grid can still be downloaded, also in the Continue On Fail item', async () => {
		fake.faults.downloadFailures = 2;
		const result = await runEdit(fake, [{ json: CAT }], { output: 'split', options: { pollIntervalSeconds: 1 } }, {
			nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } },
		});
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output).toHaveLength(4);
		expect(output[0].json.error).toMatch(/Downloading image 1 of 4 \(top-left\) failed/);
		expect(output[0].json.description).toMatch(/grid image \(.*\) can still be downloaded: choose 'Image File \(Grid\)'/);
		expect(output.slice(1).every((item) => item.binary?.data)).toBe(true);
		expect(output[0].binary).toBeUndefined();
	});

	it('says so in the error when a split image fails but the grid can still be downloaded', async () => {
		fake.faults.downloadFailures = 2;
		const result = await runEdit(fake, [{ json: CAT }], { output: 'split', options: { pollIntervalSeconds: 1 } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Downloading image 1 of 4 \(top-left\) failed/);
		expect(descriptionOf(result.error)).toMatch(/can still be downloaded: choose 'Image File \(Grid\)'/);
	});

	it('says when the grid cannot be downloaded either', async () => {
		fake.faults.expiredImages = true;
		const result = await runEdit(fake, [{ json: CAT }], { output: 'split', options: { pollIntervalSeconds: 1 } }, {
			nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } },
		});
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.json.description)).toEqual(Array(4).fill(expect.stringMatching(/grid image could not be downloaded either/)));
	});

	it('pairs each output item with its input when error items and split files mix (Continue On Fail)', async () => {
		// 2 inputs, 6 outputs: n8n cannot pair them by position, so each item must say where it came from.
		const result = await runEdit(fake, [{ json: CAT }, { json: { ...CAT, imageUrl: 'not a link' } }, { json: CAT }], {
			output: 'split', options: { pollIntervalSeconds: 1 },
		}, { nodeSettings: { 'Midjourney Edits': { onError: 'continueRegularOutput' } } });
		expect(result.status).toBe('success');
		const output = result.nodeOutputs('Midjourney Edits');
		expect(output.map((item) => item.pairedItem)).toEqual([
			...Array(4).fill({ item: 0 }),
			{ item: 1 },
			...Array(4).fill({ item: 2 }),
		]);
		expect(output[4].json.error).toMatch(/Image URL/);
	});
});
