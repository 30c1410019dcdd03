/**
 * The offline parts of `npm run smoke:live` (scripts/smoke/smokeLive.ts): arguments, the spending
 * confirmation, and the diff of live answers against the contract's examples. The live part needs
 * a real account and network and is not run here.
 */
import { diffShape, parseSmokeArguments, plannedCases, spendingSummary, type SmokeOptions } from '../../scripts/smoke/smokeLive';
import { loadExample } from '../support/examples';

const ENV = { ACEDATACLOUD_API_TOKEN: 'api-token-x', ACEDATACLOUD_PLATFORM_TOKEN: 'platform-y' };
const parsed = (argv: string[], env: Record<string, string | undefined> = ENV) => parseSmokeArguments(argv, env) as SmokeOptions;

describe('smoke:live arguments', () => {
	it('needs --yes: without it, says what it would spend and sends nothing', () => {
		expect(() => parseSmokeArguments([], ENV)).toThrow(/submits 5 paid Midjourney tasks[\s\S]*Run again with --yes/);
	});

	it('needs the API token from the environment', () => {
		expect(() => parseSmokeArguments(['--yes'], {})).toThrow(/ACEDATACLOUD_API_TOKEN is not set/);
	});

	it('reads tokens from the environment and never from the command line', () => {
		expect(parsed(['--yes'])).toMatchObject({ apiToken: 'api-token-x', platformToken: 'platform-y', n8nPort: 5690, timeoutSeconds: 600 });
		expect(() => parseSmokeArguments(['--yes', '--api-token', 'x'], ENV)).toThrow(/unknown argument "--api-token"/);
	});

	it('takes the callback base URL from a flag or the environment, and checks URLs and numbers', () => {
		expect(parsed(['--yes', '--callback-base-url=https://abc.trycloudflare.com/']).callbackBaseUrl).toBe('https://abc.trycloudflare.com');
		expect(parsed(['--yes'], { ...ENV, ACEDATACLOUD_CALLBACK_BASE_URL: 'https://t.example' }).callbackBaseUrl).toBe('https://t.example');
		expect(() => parseSmokeArguments(['--yes', '--image-url', 'not a url'], ENV)).toThrow(/--image-url must be a URL/);
		expect(() => parseSmokeArguments(['--yes', '--n8n-port', '0'], ENV)).toThrow(/--n8n-port must be a whole number/);
		expect(() => parseSmokeArguments(['--yes', '--prompt'], ENV)).toThrow(/--prompt needs a value/);
		expect(parseSmokeArguments(['--help'], {})).toBe('help');
	});

	it('plans the binary case only with a platform token and the trigger case only with a public URL', () => {
		const names = (options: SmokeOptions) => plannedCases(options).map((entry) => entry.name);
		expect(names(parsed(['--yes'], { ACEDATACLOUD_API_TOKEN: 't' }))).toEqual(['url-edit-polled', 'dont-wait-then-task-get', 'upscale-of-edit-result']);
		expect(names(parsed(['--yes', '--callback-base-url', 'https://t.example']))).toEqual([
			'url-edit-polled',
			'binary-edit-with-mask',
			'dont-wait-then-task-get',
			'trigger-callback',
			'upscale-of-edit-result',
		]);
		const summary = spendingSummary(parsed(['--yes'], { ACEDATACLOUD_API_TOKEN: 't' }));
		expect(summary).toMatch(/submits 4 paid Midjourney tasks/);
		expect(summary).toMatch(/skipped: binary-edit-with-mask, set ACEDATACLOUD_PLATFORM_TOKEN/);
		expect(summary).not.toMatch(/api-token-x|platform-y/);
	});
});

describe('smoke:live shape diff against the contract examples', () => {
	it('finds nothing between an example and itself', () => {
		expect(diffShape(loadExample('task-record.json'), loadExample('task-record.json'))).toEqual([]);
	});

	it('names unknown fields, missing fields and other types, with their paths', () => {
		const live = JSON.parse(JSON.stringify(loadExample('task-record.json')));
		live.state = 'finished';
		delete live.duration;
		live.response.image_width = '960';
		live.response.sub_image_urls = [7];
		expect(diffShape(live, loadExample('task-record.json'))).toEqual([
			{ path: 'response.image_width', kind: 'other_type', detail: 'string where the example has number' },
			{ path: 'response.sub_image_urls[0]', kind: 'other_type', detail: 'number where the example has string' },
			{ path: 'state', kind: 'unknown_field', detail: 'string, not in the example' },
			{ path: 'duration', kind: 'missing_field', detail: 'the example has number' },
		]);
	});

	it('sees a null body where the example is an object', () => {
		expect(diffShape(null, {})).toEqual([{ path: '(top)', kind: 'other_type', detail: 'null where the example has object' }]);
	});

	it('reads the failed-state assumption as a shape difference from the documented record', () => {
		const paths = diffShape(loadExample('task-record-failed-state.assumed.json'), loadExample('task-record.json')).map((entry) => `${entry.kind} ${entry.path}`);
		expect(paths).toEqual(expect.arrayContaining(['unknown_field state', 'missing_field response']));
	});
});
