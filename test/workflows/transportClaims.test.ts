/**
 * Issue 12, cases 5 and 6: the API token never follows a redirect, and no wait the API asks for
 * (Retry-After, a rate-limit pause) keeps an item past its own timeout.
 */

import { parseRetryAfter } from '../../nodes/shared/transport';
import type { FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { startFakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { encodeRgbPng } from '../fake-api/pngs';
import { CAT, credentialsFor, runEdit, TOKEN } from '../support/nodeRun';
import { startRecordingServer, type RecordingServer } from '../support/recordingServer';

let fake: FakeAceDataCloud;

beforeAll(async () => {
	fake = await startFakeAceDataCloud({ jobDurationMs: 200, validTokens: [TOKEN] });
});
afterEach(() => fake.reset());
afterAll(async () => await fake.close());

describe('the token never follows a redirect', () => {
	let otherOrigin: RecordingServer;
	let redirecting: RecordingServer;
	beforeEach(async () => {
		otherOrigin = await startRecordingServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"task_id":"x"}'));
		redirecting = await startRecordingServer((req, res) => res.writeHead(307, { location: `${otherOrigin.url}${req.url}` }).end());
	});
	afterEach(async () => await Promise.all([otherOrigin.close(), redirecting.close()]));

	it('an API base URL answering 307 to another origin: that origin receives nothing, the error says why', async () => {
		const result = await runEdit(fake, [{ json: CAT }], {}, {
			credentials: { aceDataCloudApi: { apiToken: TOKEN, baseUrl: redirecting.url, platformBaseUrl: redirecting.url } },
		});
		expect(result.status).toBe('error');
		expect(`${result.error?.message} ${(result.error as { description?: string }).description}`).toMatch(/redirect.*not followed/i);
		expect(redirecting.requests.length).toBeGreaterThan(0);
		expect(otherOrigin.requests).toHaveLength(0);
	});

	it('the platform upload answering 307: the other origin receives nothing', async () => {
		const photo = encodeRgbPng(8, 8, () => [200, 120, 40]);
		const result = await runEdit(
			fake,
			[{ json: { prompt: CAT.prompt }, binary: { data: { data: photo, mimeType: 'image/png', fileName: 'p.png' } } }],
			{ imageSource: 'binary', binaryPropertyName: 'data' },
			{ credentials: { aceDataCloudApi: { ...credentialsFor(fake).aceDataCloudApi, platformBaseUrl: redirecting.url } } },
		);
		expect(result.status).toBe('error');
		expect(redirecting.requests.length).toBeGreaterThan(0);
		expect(otherOrigin.requests).toHaveLength(0);
		expect(fake.count('POST', '/midjourney/edits')).toBe(0);
	});
});

describe('waits never outlive the item', () => {
	it('timeout 2 s and a 429 with Retry-After 86400 on every lookup: the item ends with its timeout error', async () => {
		fake.faults.tasksRateLimit = 1000;
		fake.faults.retryAfterSeconds = 86_400;
		fake.faults.neverFinish = true;
		const result = await runEdit(fake, [{ json: CAT }], { options: { timeoutSeconds: 2, pollIntervalSeconds: 1 } });
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/did not finish within 2 seconds/);
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
	}, 60_000);

	it.each([
		['400 digits', '9'.repeat(400)],
		['a date far ahead', new Date(Date.now() + 10 * 365 * 86_400_000).toUTCString()],
	])('a Retry-After of %s parses to a finite number of seconds, at most a day', (_case, header) => {
		const seconds = parseRetryAfter(header)!;
		expect(Number.isFinite(seconds)).toBe(true);
		expect(seconds).toBeLessThanOrEqual(86_400);
	});
});
