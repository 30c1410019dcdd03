/**
 * Issue 12, case 9: limits checked before any request and before reading files whole.
 */
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { declaredFileSize, MAX_PROMPT_LENGTH } from '../../nodes/MidjourneyEdits/actions/image/edit/plan';
import { CAT, runEdit, TOKEN } from '../support/nodeRun';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 50, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

describe('input limits', () => {
	it('a prompt over the limit is refused with a clear error, before any request', async () => {
		const result = await runEdit(fake, [{ json: { ...CAT, prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) } }]);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/'Prompt' is too long: 6001 characters, at most 6000/);
		expect(fake.requests).toHaveLength(0);
	});

	it('a binary input n8n declares larger than 20 MB is refused from its metadata, before reading it or any request', async () => {
		// As n8n stores a file in memory mode, with the size it recorded (the bytes here are a stand-in).
		const declared = { data: Buffer.from('stand-in').toString('base64'), mimeType: 'image/png', fileName: 'huge.png', bytes: 25_000_000, fileSize: '25 MB' };
		const result = await runEdit(fake, [{ json: { prompt: CAT.prompt }, binary: { data: declared } }], { imageSource: 'binary', binaryPropertyName: 'data' });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/The file in 'data' is too large \(23\.8 MB; the limit is 20 MB\) \[item 1\]/);
		expect(fake.requests).toHaveLength(0);
	});

	it.each([
		[{ bytes: 25_000_000 }, 25_000_000],
		[{ fileSize: '25.3 MB' }, 25_300_000],
		[{ fileSize: '512 kB' }, 512_000],
		[{ data: 'A'.repeat(400) }, 300],
		[{ id: 'filesystem-v2:x', data: 'filesystem-v2' }, undefined],
	])('reads the declared size of %j', (file, size) => expect(declaredFileSize(file)).toBe(size));
});
