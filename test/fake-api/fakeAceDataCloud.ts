/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * A faithful fake of the Ace Data Cloud API, as far as this package uses it: the Midjourney Edits
 * endpoint, follow-up actions on a result through the Midjourney Imagine endpoint (upscale, vary,
 * reroll, zoom out, pan: `action` + `image_id`), the Tasks lookup, the platform file upload, and the
 * CDN links results point at.
 *
 * The contract is /work/shared/api/README.md (shared/api/README.md beside the repository) with the
 * example bodies in shared/api/examples/. Where that contract is an assumption rather than documented
 * behaviour, the code below says "ASSUMPTION" so it is easy to find and change.
 *
 * Used in-process by the unit tests (`startFakeAceDataCloud()`), and as a separate process through
 * cli.ts by the sandbox, the e2e suite against a real n8n, and the benchmark; those drive it through
 * the HTTP control surface under /__fake/ (no token needed there).
 *
 * Only node:http(s), node:crypto and node:zlib (through pngs.ts) are used: no dependencies.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
	createServer,
	request as httpRequest,
	type ClientRequest,
	type IncomingMessage,
	type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';

import { resultImagePng, upscaledImagePng, type ResultImageKind } from './pngs';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface FakeOptions {
	/** Address to listen on; only 127.0.0.1 is used on our machines. */
	host?: string;
	/** 0 (the default) picks a free port. */
	port?: number;
	/** Bearer tokens the API endpoints accept; default ['test-token']. */
	validTokens?: string[];
	/** Bearer tokens the platform upload accepts (platform tokens, not API tokens); default [DEFAULT_PLATFORM_TOKEN]. */
	validPlatformTokens?: string[];
	/** How long a job runs before it finishes; default 1500 ms. `faults.jobDurationMs` overrides it. */
	jobDurationMs?: number;
	/** Base of the result and upload URLs the fake hands out; defaults to the listening URL. */
	publicBaseUrl?: string;
}

export type CallbackMode = 'once' | 'duplicate' | 'never' | 'late';

/**
 * Misbehaviour to inject. A plain mutable object: set a field, and the fake reads it on the next
 * request. Counters ("next N requests ...") count down as they are used.
 */
export interface FakeFaults {
	/*
	 * The submission faults (submit*, submitsPerSecond) count submissions of both kinds, edits and
	 * imagine follow-ups, in the order they come; so do apiErrors and the task faults (neverFinish,
	 * failTasks, jobDurationMs, taskStates, generatingResponse, progressCallbacks, callbackMode).
	 */
	/** Next N submissions answer 429 too_many_requests (with Retry-After); no task is created. */
	submitRateLimit: number;
	/** Next N submissions answer 500 api_error; a task is created only if `serverErrorCreatesTask`. */
	submitServerError: number;
	/** Next N submissions: the task is created, then the socket is destroyed without an answer. */
	submitDropConnection: number;
	/**
	 * Next N submissions answer the error `forbiddenCode` (default 'forbidden'), with the status
	 * the contract's error table gives that code (403 forbidden/used_up, 400 disabled, 404 no_api...); no task.
	 */
	submitForbidden: number;
	/** Error code for `submitForbidden`: 'forbidden' (moderation), 'used_up' (no balance), 'disabled', 'no_api', ... */
	forbiddenCode?: string;
	/** Next N API requests (edits, imagine or tasks, after the token check) answer the error `apiErrorCode`, status from the table. */
	apiErrors: number;
	/** Error code for `apiErrors`, e.g. no_api, used_up, token_mismatched, disabled, token_expired. */
	apiErrorCode?: string;
	/** Error bodies leave out `success: false`, as the vendor's OpenAPI examples do (the guides include it). */
	errorsWithoutSuccess: boolean;
	/** Next N tasks lookups answer 500 api_error. */
	tasksServerError: number;
	/** Next N tasks lookups answer 429 too_many_requests (with Retry-After). */
	tasksRateLimit: number;
	/** Next N tasks lookups: the socket is destroyed without an answer. */
	tasksDropConnection: number;
	/** Next N tasks lookups answer 200 with the JSON body cut short (unparseable). */
	tasksMalformedJson: number;
	/** Next N uploads answer 500 api_error. */
	uploadServerError: number;
	/** Job duration for tasks created from now on; overrides the `jobDurationMs` option. */
	jobDurationMs?: number;
	/** Tasks created from now on never finish by themselves (`finishTask` still finishes them). */
	neverFinish: boolean;
	/** Tasks created from now on fail (like the `[fail]` prompt marker). */
	failTasks: boolean;
	/** How callbacks are delivered: once (default), twice ~50 ms apart, never, or late. */
	callbackMode: CallbackMode;
	/** Extra delay for callbackMode 'late'; default 3000 ms. */
	callbackDelayMs?: number;
	/** Results carry widths/heights as strings, as the vendor's OpenAPI file types them. */
	sizesAsStrings: boolean;
	/** Every result image download answers 403, like an expired signed link. */
	expiredImages: boolean;
	/** Next N result image downloads answer 403. */
	downloadFailures: number;
	/** Retry-After seconds sent with 429 answers; unset (the default) sends none: no vendor source documents one. */
	retryAfterSeconds?: number;
	/** With `submitServerError`: the task is created before the 500 ("it may have been billed"). */
	serverErrorCreatesTask: boolean;
	/** Key of the upload answer: 'file_url' (documented) or 'url' (what some clients read). */
	uploadResponseKey: 'file_url' | 'url';
	/** The upload endpoint answers 401 invalid_token even to a valid platform token (say, a revoked one). */
	uploadRejectsToken: boolean;
	/**
	 * Records of tasks created from now on carry the web app's `state` (generating, then finished or
	 * failed), `started_at`, and `finished_at: null` until they finish; a failed task gets `state: failed`
	 * and NO response (examples/task-record-failed-state.assumed.json).
	 */
	taskStates: boolean;
	/**
	 * While a task created from now on runs, its record carries `response: {success: false, progress: 40}`
	 * (the SDK's warning; examples/task-record-generating-state.assumed.json).
	 */
	generatingResponse: boolean;
	/** The most ids a retrieve_batch page holds, whatever `limit` says (the maximum is undocumented). */
	tasksPageMax?: number;
	/** What a `limit` above tasksPageMax gets: a page cut short ('cap', the default) or a 400 bad_request ('refuse'). */
	tasksPageOverMax: 'cap' | 'refuse';
	/** An unknown id is answered `null` (retrieve) and a `null` entry (retrieve_batch), as the Dify plugin handles. */
	unknownAsNull: boolean;
	/** Tasks created from now on POST progress callbacks (progress 40 and 80, intermediate image) before the final one. */
	progressCallbacks: boolean;
	/** Delay before every API answer (edits, tasks, upload), in ms. */
	responseDelayMs: number;
	/** Accept at most this many submissions per rolling second, 429 (with Retry-After) beyond; 0 = no limit. */
	submitsPerSecond: number;
	/**
	 * ASSUMPTION (default true): /midjourney/imagine takes the `image_id` of an edit's result. Not
	 * documented; the edits results listing `actions` suggests it. Off: only imagine results' ids are
	 * known to imagine, an edit's image_id gets 400 like an unknown one.
	 */
	imagineAcceptsEditImageIds: boolean;
	/**
	 * "Midjourney Imagine" is a service of its own on the platform and may need its own acquisition:
	 * on, /midjourney/imagine answers 404 no_api (examples/error-no-api.json) while edits still work.
	 */
	imagineNotAcquired: boolean;
	/**
	 * Results leave `actions` out, as the vendor's edits examples do (edits-success.json,
	 * task-record.json); the contract says results carry it only "sometimes". The service still knows
	 * what each result offers: a follow-up it does not offer is refused all the same.
	 */
	resultsWithoutActions: boolean;
}

export interface TaskError {
	code: string;
	message: string;
}

/**
 * The flat success shape shared by the sync answer, the callback body and a record's `response`,
 * for edits and imagine follow-ups alike.
 */
export interface EditsSuccess {
	success: true;
	task_id: string;
	image_id: string;
	image_url: string;
	image_width: number | string;
	image_height: number | string;
	raw_image_url: string;
	raw_image_width: number | string;
	raw_image_height: number | string;
	/** Only when the request had split_images: true (and the result is a grid). */
	sub_image_urls?: string[];
	progress: number;
	/** Left out with faults.resultsWithoutActions, as in the vendor's edits examples. */
	actions?: string[];
}

/**
 * ASSUMPTION: the contract does not document how a failed task looks in a callback or a record's
 * `response`; we use examples/callback-failure.assumed.json for both.
 */
export interface TaskFailure {
	success: false;
	task_id: string;
	error: TaskError;
	trace_id: string;
}

/** Exactly what POST /midjourney/tasks returns for one task (examples/task-record*.json). */
export interface TaskRecord {
	_id: string;
	id: string;
	application_id: string;
	/** Seconds since the epoch, with milliseconds as the fraction. */
	created_at: number;
	/** 'imagine' for follow-ups (documented); ASSUMPTION: 'edits' for an edit, which is undocumented. */
	type: 'edits' | 'imagine';
	/** The request body as sent. */
	request: Record<string, unknown>;
	response?: EditsSuccess | TaskFailure | TaskProgress;
	/** Only with faults.taskStates: pending/generating/finished/failed (the vendor's web app). */
	state?: string;
	started_at?: number;
	/** Set when the task finished; `null` while running with faults.taskStates, absent otherwise. */
	finished_at?: number | null;
	duration?: number;
}

/** An intermediate body: a progress callback, or a running record's response (faults.generatingResponse). */
export interface TaskProgress {
	success: boolean;
	task_id: string;
	progress: number;
	image_id?: string;
	image_url?: string;
	actions?: string[];
}

export type TaskState = 'running' | 'succeeded' | 'failed';

/** Which quarter of a 2x2 grid: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. */
export type GridQuarter = 0 | 1 | 2 | 3;

/**
 * What a task's finished image is: a 2x2 grid of its own (an edit, a variation, a reroll, a zoom
 * out, a pan), or one quarter of a grid upscaled (upscale1..4), `scale` times more with upscale_2x/4x.
 */
export type ResultImage =
	| { kind: 'grid' }
	| { kind: 'upscaled'; gridTaskId: string; quarter: GridQuarter; scale: 1 | 2 | 4 };

/** For an imagine task: the follow-up action and the finished result it acts on. */
export interface FollowUp {
	action: string;
	sourceImageId: string;
	sourceTaskId: string;
}

/** The fake's internal record of a task: the API's view plus what tests need to know about it. */
export interface FakeTask {
	id: string;
	record: TaskRecord;
	state: TaskState;
	/** How the task will finish when its job timer fires. */
	plannedOutcome: 'success' | TaskError;
	/** What its image will be once it succeeds. */
	image: ResultImage;
	/** Only for imagine tasks. */
	followUp?: FollowUp;
	/** False when the task never finishes by itself (faults.neverFinish at creation). */
	finishesByItself: boolean;
	/** Whether the request carried a mask, and its length in characters (the body keeps the mask itself). */
	mask: { present: boolean; length: number };
	callbackUrl?: string;
	splitImages: boolean;
	/** With faults.taskStates, fixed at creation. */
	withStates: boolean;
	/** With faults.progressCallbacks, fixed at creation. */
	withProgressCallbacks: boolean;
	/** The final body (callback and synchronous answer) once finished, even when the record shows no response. */
	result?: EditsSuccess | TaskFailure;
}

export interface RequestLogEntry {
	method: string;
	/** The path without the query string. */
	path: string;
	/** Date.now() when the request arrived. */
	at: number;
	/**
	 * The parsed JSON body; for an upload { fileName, mimeType, size }; for a body that is not JSON, its
	 * first 500 characters as a string; undefined when there was none.
	 */
	body: unknown;
	/** Whether the request carried a token the endpoint accepted (the token itself is never logged). */
	authorized: boolean;
	/**
	 * Which kind of token came (never the token): 'api', 'platform', 'other' (unknown), or 'none'.
	 * Lets tests check that the platform token never reaches the API and the API token never the platform.
	 */
	tokenKind?: 'api' | 'platform' | 'other' | 'none';
	/** The HTTP status answered, 'dropped' when the socket was destroyed, undefined while pending. */
	status?: number | 'dropped';
}

export interface CallbackDelivery {
	taskId: string;
	url: string;
	/** The receiver's HTTP status, or a string describing why the delivery failed. */
	status: number | string;
	/** Date.now() when the delivery was sent. */
	at: number;
	/** 1 for the first delivery of this task's callback, 2 for the second, ... */
	attempt: number;
	body: EditsSuccess | TaskFailure | TaskProgress;
}

export interface UploadedFile {
	fileName: string;
	mimeType: string;
	bytes: Buffer;
}

/** How to finish a task by hand: as planned (no argument), success, the moderation failure, or a given error. */
export type FinishOutcome = 'success' | 'failure' | TaskError;

export interface FakeAceDataCloud {
	/** Listening base URL, e.g. http://127.0.0.1:PORT: both the credential's baseUrl and platformBaseUrl. */
	url: string;
	port: number;
	faults: FakeFaults;
	tasks: Map<string, FakeTask>;
	requests: RequestLogEntry[];
	callbacks: CallbackDelivery[];
	/** Uploaded files by their served name `<id>.<ext>`. */
	uploads: Map<string, UploadedFile>;
	/** How many logged requests match method and path (exact string or RegExp) and the predicate. */
	count(method: string, path: string | RegExp, predicate?: (entry: RequestLogEntry) => boolean): number;
	/** The logged POST /midjourney/tasks requests whose body has this action ('retrieve', 'retrieve_batch'). */
	tasksRequestsFor(action: string): RequestLogEntry[];
	/** Forgets tasks, requests, callbacks and uploads, and puts the faults back to their defaults. */
	reset(): void;
	/** Finishes a running task now; returns false if it had already finished. Throws for an unknown id. */
	finishTask(id: string, outcome?: FinishOutcome): boolean;
	/** Sends a finished task's callback now (again), to its callback_url or the given URL. */
	deliverCallback(id: string, url?: string): Promise<CallbackDelivery>;
	/** Resolves with the predicate's first truthy value; rejects after timeoutMs (default 5000). */
	waitFor<T>(predicate: () => T, timeoutMs?: number): Promise<NonNullable<T>>;
	close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

export const DEFAULT_FAULTS: Readonly<FakeFaults> = Object.freeze({
	submitRateLimit: 0,
	submitServerError: 0,
	submitDropConnection: 0,
	submitForbidden: 0,
	tasksServerError: 0,
	tasksRateLimit: 0,
	tasksDropConnection: 0,
	tasksMalformedJson: 0,
	uploadServerError: 0,
	neverFinish: false,
	failTasks: false,
	callbackMode: 'once',
	sizesAsStrings: false,
	expiredImages: false,
	downloadFailures: 0,
	serverErrorCreatesTask: false,
	uploadResponseKey: 'file_url',
	uploadRejectsToken: false,
	responseDelayMs: 0,
	apiErrors: 0,
	errorsWithoutSuccess: false,
	taskStates: false,
	generatingResponse: false,
	unknownAsNull: false,
	progressCallbacks: false,
	tasksPageOverMax: 'cap',
	submitsPerSecond: 0,
	imagineAcceptsEditImageIds: true,
	imagineNotAcquired: false,
	resultsWithoutActions: false,
});

/** The "next N requests" faults. */
type FaultCounter = {
	[K in keyof FakeFaults]-?: FakeFaults[K] extends number ? K : never;
}[keyof FakeFaults];

/** What each fault field may hold; POST /__fake/faults checks against it so a typo is an error, not a no-op. */
const FAULT_FIELD_KINDS: { [K in keyof FakeFaults]-?: 'count' | 'boolean' | readonly string[] | 'string' } = {
	submitRateLimit: 'count',
	submitServerError: 'count',
	submitDropConnection: 'count',
	submitForbidden: 'count',
	forbiddenCode: 'string',
	tasksServerError: 'count',
	tasksRateLimit: 'count',
	tasksDropConnection: 'count',
	tasksMalformedJson: 'count',
	uploadServerError: 'count',
	jobDurationMs: 'count',
	neverFinish: 'boolean',
	failTasks: 'boolean',
	callbackMode: ['once', 'duplicate', 'never', 'late'],
	callbackDelayMs: 'count',
	sizesAsStrings: 'boolean',
	expiredImages: 'boolean',
	downloadFailures: 'count',
	retryAfterSeconds: 'count',
	serverErrorCreatesTask: 'boolean',
	uploadResponseKey: ['file_url', 'url'],
	uploadRejectsToken: 'boolean',
	responseDelayMs: 'count',
	apiErrors: 'count',
	apiErrorCode: 'string',
	errorsWithoutSuccess: 'boolean',
	taskStates: 'boolean',
	generatingResponse: 'boolean',
	tasksPageMax: 'count',
	tasksPageOverMax: ['cap', 'refuse'],
	unknownAsNull: 'boolean',
	progressCallbacks: 'boolean',
	submitsPerSecond: 'count',
	imagineAcceptsEditImageIds: 'boolean',
	imagineNotAcquired: 'boolean',
	resultsWithoutActions: 'boolean',
};

/** The platform token the upload accepts unless `validPlatformTokens` says otherwise. */
export const DEFAULT_PLATFORM_TOKEN = 'platform-test-token';

/** retrieve_batch's page size when the request sends no `limit` (the vendor's OpenAPI default). */
export const DEFAULT_TASKS_PAGE_LIMIT = 12;

/** Progress of the intermediate callbacks and of a running record's response. */
const PROGRESS_STEPS = [40, 80];

/** Marker in a prompt that makes its task fail moderation. */
export const FAIL_PROMPT_MARKER = '[fail]';

export const MODERATION_ERROR: Readonly<TaskError> = Object.freeze({
	code: 'forbidden',
	message: 'Our AI moderators feel your prompt might be against our community standards.',
});

/** HTTP status of each error code in the contract's error table. */
const STATUS_FOR_ERROR_CODE: Record<string, number> = {
	bad_request: 400,
	token_mismatched: 400,
	api_not_implemented: 400,
	// The vendor's MCP error table: a missing token and a disabled token/application are 400s.
	no_token: 400,
	disabled: 400,
	invalid_token: 401,
	token_expired: 401,
	forbidden: 403,
	used_up: 403,
	no_api: 404,
	not_found: 404,
	too_many_requests: 429,
	api_error: 500,
	timeout: 504,
};

const FORBIDDEN_MESSAGES: Record<string, string> = {
	forbidden: MODERATION_ERROR.message,
	used_up: 'Your balance is used up; top up your account to continue.',
	disabled: 'Your token has been disabled.',
	no_api: 'The API is not enabled for this application',
	token_mismatched: 'The token does not match this API.',
	token_expired: 'The token has expired.',
	no_token: 'No token provided.',
};

const EDIT_MODES = ['fast', 'relax', 'turbo'];

/** The actions a 2x2 grid offers (the contract's follow-up section). */
export const GRID_ACTIONS: readonly string[] = Object.freeze([
	'upscale1',
	'upscale2',
	'upscale3',
	'upscale4',
	'variation1',
	'variation2',
	'variation3',
	'variation4',
	'reroll',
]);

/** The actions an upscaled image offers (the contract's follow-up section); variation_region needs a mask. */
export const UPSCALED_ACTIONS: readonly string[] = Object.freeze([
	'upscale_2x',
	'upscale_4x',
	'variation_subtle',
	'variation_strong',
	'variation_region',
	'zoom_out_2x',
	'zoom_out_1_5x',
	'pan_left',
	'pan_right',
	'pan_up',
	'pan_down',
]);

/**
 * ASSUMPTION (undocumented): an image upscaled again (upscale_2x/4x) offers what an upscaled image
 * does except upscaling once more, as Midjourney's own buttons do.
 */
const RE_UPSCALED_ACTIONS: readonly string[] = UPSCALED_ACTIONS.filter((action) => !/^upscale_\dx$/.test(action));

const FOLLOW_UP_ACTIONS = new Set([...GRID_ACTIONS, ...UPSCALED_ACTIONS]);

/**
 * The sizes the real service reports for an edit's grid (the served PNGs are much smaller; see
 * pngs.ts). An upscaled quarter reports half of each, times its scale.
 */
const RESULT_WIDTH_PX = 960;
const RESULT_HEIGHT_PX = 1200;

const DUPLICATE_CALLBACK_GAP_MS = 50;
const DEFAULT_LATE_CALLBACK_DELAY_MS = 3000;
const CALLBACK_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 50 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function errorBody(code: string, message: string, withSuccess = true) {
	const body = { error: { code, message }, trace_id: randomUUID() };
	return withSuccess ? { success: false, ...body } : body;
}

function statusForErrorCode(code: string): number {
	return STATUS_FOR_ERROR_CODE[code] ?? 500;
}

function nowSeconds(): number {
	return Date.now() / 1000;
}

function roundToMillis(seconds: number): number {
	return Math.round(seconds * 1000) / 1000;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Discord-like snowflake: 19 decimal digits, as a string. */
function newImageId(): string {
	const random = BigInt(`0x${randomBytes(8).toString('hex')}`);
	return (10n ** 18n + (random % (9n * 10n ** 18n))).toString();
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > MAX_BODY_BYTES) {
				reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

interface MultipartPart {
	name: string;
	fileName?: string;
	mimeType?: string;
	data: Buffer;
}

/** A minimal multipart/form-data reader (RFC 7578): enough for what HTTP clients send. */
function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
	const delimiter = Buffer.from(`--${boundary}`);
	const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
	const parts: MultipartPart[] = [];
	let position = body.indexOf(delimiter);
	while (position >= 0) {
		position += delimiter.length;
		if (body.toString('latin1', position, position + 2) === '--') break; // the closing delimiter
		const headersEnd = body.indexOf('\r\n\r\n', position);
		if (headersEnd < 0) break;
		const dataEnd = body.indexOf(nextDelimiter, headersEnd + 4);
		if (dataEnd < 0) break;
		const headers = new Map<string, string>();
		for (const line of body.toString('utf8', position + 2, headersEnd).split('\r\n')) {
			const colon = line.indexOf(':');
			if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
		}
		const disposition = headers.get('content-disposition') ?? '';
		const name = /(?:^|;)\s*name=(?:"([^"]*)"|([^;\s]+))/i.exec(disposition);
		const fileName = /(?:^|;)\s*filename=(?:"([^"]*)"|([^;\s]+))/i.exec(disposition);
		parts.push({
			name: name ? (name[1] ?? name[2]) : '',
			fileName: fileName ? (fileName[1] ?? fileName[2]) : undefined,
			mimeType: headers.get('content-type'),
			data: body.subarray(headersEnd + 4, dataEnd),
		});
		position = dataEnd + 2;
	}
	return parts;
}

const EXTENSION_FOR_MIME_TYPE: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};

function extensionFor(fileName: string, mimeType: string): string {
	const fromName = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1]?.toLowerCase();
	return fromName ?? EXTENSION_FOR_MIME_TYPE[mimeType.split(';')[0].trim().toLowerCase()] ?? 'bin';
}

/** One request and its answer, so every handler answers (and logs the status) the same way. */
class Exchange {
	constructor(
		readonly req: IncomingMessage,
		readonly res: ServerResponse,
		readonly entry: RequestLogEntry | undefined,
		private readonly answerDelayMs: number,
		private readonly errorsWithSuccess = true,
	) {}

	async json(status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
		await this.raw(status, 'application/json', Buffer.from(JSON.stringify(body)), headers);
	}

	async error(code: string, message: string, headers: Record<string, string> = {}): Promise<void> {
		await this.json(statusForErrorCode(code), errorBody(code, message, this.errorsWithSuccess), headers);
	}

	async raw(status: number, contentType: string, body: Buffer, headers: Record<string, string> = {}): Promise<void> {
		if (this.answerDelayMs > 0) await sleep(this.answerDelayMs);
		if (this.res.destroyed || this.res.headersSent) return;
		if (this.entry) this.entry.status = status;
		this.res.writeHead(status, { 'content-type': contentType, 'content-length': String(body.length), ...headers });
		this.res.end(body);
	}

	/** Destroys the connection without an answer: the client sees a reset / "socket hang up". */
	drop(): void {
		if (this.entry) this.entry.status = 'dropped';
		this.req.socket.destroy();
	}
}

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

export async function startFakeAceDataCloud(options: FakeOptions = {}): Promise<FakeAceDataCloud> {
	const host = options.host ?? '127.0.0.1';
	const validTokens = new Set(options.validTokens ?? ['test-token']);
	const validPlatformTokens = new Set(options.validPlatformTokens ?? [DEFAULT_PLATFORM_TOKEN]);
	const defaultJobDurationMs = options.jobDurationMs ?? 1500;
	const applicationId = randomUUID();
	const urlSigningSecret = randomBytes(16);

	const faults: FakeFaults = { ...DEFAULT_FAULTS };
	const tasks = new Map<string, FakeTask>();
	const requests: RequestLogEntry[] = [];
	const callbacks: CallbackDelivery[] = [];
	const uploads = new Map<string, UploadedFile>();

	// Live handles, kept apart from the records above so those stay plain JSON-serialisable data.
	const jobTimers = new Map<string, NodeJS.Timeout>();
	const callbackTimers = new Set<NodeJS.Timeout>();
	const callbackRequests = new Set<ClientRequest>();
	const callbackAttempts = new Map<string, number>();
	const finishListeners = new Map<string, Set<(task: FakeTask) => void>>();
	const heldSyncResponses = new Set<ServerResponse>();
	// Bumped by reset(): callback deliveries started before a reset are not recorded after it.
	let generation = 0;

	let publicBaseUrl = '';

	// --- tasks -------------------------------------------------------------------------------

	/** What a valid submission becomes: the task's type, its image once done, and for imagine the follow-up. */
	interface TaskPlan {
		type: TaskRecord['type'];
		image: ResultImage;
		followUp?: FollowUp;
	}

	function createTask(body: Record<string, unknown>, plan: TaskPlan): FakeTask {
		const id = randomUUID();
		const prompt = typeof body.prompt === 'string' ? body.prompt : '';
		const mask = typeof body.mask === 'string' ? body.mask : '';
		// ASSUMPTION: an empty callback_url counts as none (the vendor's clients leave it out when unset).
		const callbackUrl = typeof body.callback_url === 'string' && body.callback_url !== '' ? body.callback_url : undefined;
		const task: FakeTask = {
			id,
			record: {
				_id: randomBytes(12).toString('hex'),
				id,
				application_id: applicationId,
				created_at: nowSeconds(),
				type: plan.type,
				request: body,
			},
			state: 'running',
			// The outcome and whether the job ends are fixed when the task is created, so changing a
			// fault later does not change tasks already running (finishTask can still override).
			plannedOutcome: prompt.includes(FAIL_PROMPT_MARKER) || faults.failTasks ? { ...MODERATION_ERROR } : 'success',
			image: plan.image,
			...(plan.followUp ? { followUp: plan.followUp } : {}),
			finishesByItself: !faults.neverFinish,
			mask: { present: mask !== '', length: mask.length },
			callbackUrl,
			// ASSUMPTION for imagine: split_images works as on edits (the contract lists it for edits only);
			// an upscaled image is one image, never split.
			splitImages: body.split_images === true && plan.image.kind === 'grid',
			withStates: faults.taskStates,
			withProgressCallbacks: faults.progressCallbacks,
		};
		if (task.withStates) {
			task.record.state = 'generating';
			task.record.started_at = task.record.created_at;
			task.record.finished_at = null;
		}
		// ASSUMPTION (the SDK's warning): a running record may carry success: false with its progress.
		if (faults.generatingResponse) task.record.response = { success: false, task_id: id, progress: PROGRESS_STEPS[0] };
		tasks.set(id, task);
		if (task.withProgressCallbacks && callbackUrl) scheduleProgressCallbacks(task, faults.jobDurationMs ?? defaultJobDurationMs);
		if (task.finishesByItself) {
			const timer = setTimeout(() => finishTask(id), faults.jobDurationMs ?? defaultJobDurationMs);
			timer.unref();
			jobTimers.set(id, timer);
		}
		return task;
	}

	function signedResultUrl(taskId: string, fileName: string): string {
		// Shaped like the vendor's short-lived signed links (ex = expiry, is = issued, hm = signature);
		// the fake does not check them: expiry is modelled by faults.expiredImages / downloadFailures.
		const issued = Math.floor(Date.now() / 1000);
		const expires = issued + 24 * 60 * 60;
		const signature = createHmac('sha256', urlSigningSecret).update(`${taskId}/${fileName}:${expires}`).digest('hex');
		return `${publicBaseUrl}/results/${taskId}/${fileName}?ex=${expires.toString(16)}&is=${issued.toString(16)}&hm=${signature}`;
	}

	function successResult(task: FakeTask): EditsSuccess {
		const size = (pixels: number) => (faults.sizesAsStrings ? String(pixels) : pixels);
		const { image } = task;
		// An upscaled quarter is half the grid's width and height, times its scale.
		const factor = image.kind === 'grid' ? 1 : image.scale / 2;
		const [width, height] = [RESULT_WIDTH_PX * factor, RESULT_HEIGHT_PX * factor];
		const imageUrl = signedResultUrl(task.id, image.kind === 'grid' ? 'grid.png' : 'upscaled.png');
		return {
			success: true,
			task_id: task.id,
			image_id: newImageId(),
			image_url: imageUrl,
			image_width: size(width),
			image_height: size(height),
			raw_image_url: imageUrl,
			raw_image_width: size(width),
			raw_image_height: size(height),
			// Only when split_images was requested; key order as in examples/edits-success.json.
			...(task.splitImages
				? { sub_image_urls: [0, 1, 2, 3].map((n) => `${publicBaseUrl}/results/${task.id}/0_${n}.png`) }
				: {}),
			progress: 100,
			// The contract says results "sometimes" carry actions; the fake does unless told otherwise.
			...(faults.resultsWithoutActions ? {} : { actions: offeredActions(image) }),
		};
	}

	/** What a finished image offers next, whether or not its result lists it. */
	function offeredActions(image: ResultImage): string[] {
		return [...(image.kind === 'grid' ? GRID_ACTIONS : image.scale === 1 ? UPSCALED_ACTIONS : RE_UPSCALED_ACTIONS)];
	}

	/** The task whose finished, successful result carries this image_id (the only ids a follow-up can use). */
	function taskWithResultImageId(imageId: string): FakeTask | undefined {
		for (const task of tasks.values()) {
			if (task.state === 'succeeded' && task.result?.success === true && task.result.image_id === imageId) return task;
		}
		return undefined;
	}

	function finishTask(id: string, outcome?: FinishOutcome): boolean {
		const task = tasks.get(id);
		if (!task) throw new Error(`finishTask: no task with id ${id}`);
		if (task.state !== 'running') return false;
		clearTimeout(jobTimers.get(id));
		jobTimers.delete(id);

		const wanted = outcome ?? task.plannedOutcome;
		const error = wanted === 'success' ? undefined : wanted === 'failure' ? { ...MODERATION_ERROR } : wanted;
		const finishedAt = nowSeconds();
		task.result = error
			? { success: false, task_id: id, error: { code: error.code, message: error.message }, trace_id: randomUUID() }
			: successResult(task);
		if (task.withStates) {
			task.record.state = error ? 'failed' : 'finished';
			// examples/task-record-failed-state.assumed.json: a failed task's record has no response at all.
			if (error) delete task.record.response;
			else task.record.response = task.result;
		} else {
			task.record.response = task.result;
		}
		task.record.finished_at = finishedAt;
		task.record.duration = roundToMillis(finishedAt - task.record.created_at);
		task.state = error ? 'failed' : 'succeeded';

		for (const listener of finishListeners.get(id) ?? []) listener(task);
		finishListeners.delete(id);
		scheduleCallbacks(task);
		return true;
	}

	function onFinished(task: FakeTask, listener: (task: FakeTask) => void): () => void {
		const listeners = finishListeners.get(task.id) ?? new Set();
		listeners.add(listener);
		finishListeners.set(task.id, listeners);
		return () => listeners.delete(listener);
	}

	// --- callbacks ---------------------------------------------------------------------------

	function later(ms: number, action: () => void): void {
		const timer = setTimeout(() => {
			callbackTimers.delete(timer);
			action();
		}, ms);
		callbackTimers.add(timer);
	}

	function scheduleCallbacks(task: FakeTask): void {
		const url = task.callbackUrl;
		if (!url) return;
		// The contract does not say whether callbacks are retried or repeated; the modes let tests
		// cover "once", "twice", "never" and "after the poller already got the result".
		const send = () => void sendCallback(task, url);
		switch (faults.callbackMode) {
			case 'never':
				return;
			case 'duplicate':
				send();
				later(DUPLICATE_CALLBACK_GAP_MS, send);
				return;
			case 'late':
				later(faults.callbackDelayMs ?? DEFAULT_LATE_CALLBACK_DELAY_MS, send);
				return;
			default:
				send();
		}
	}

	/**
	 * faults.progressCallbacks: POSTs intermediate bodies (success true, progress below 100, an
	 * intermediate image, empty actions; examples/callback-progress.assumed.json) while the job runs,
	 * as the service does for clients that accept application/x-ndjson.
	 */
	function scheduleProgressCallbacks(task: FakeTask, jobDurationMs: number): void {
		const url = task.callbackUrl!;
		PROGRESS_STEPS.forEach((progress, index) => {
			later(Math.floor((jobDurationMs * (index + 1)) / (PROGRESS_STEPS.length + 1)), () => {
				if (task.state !== 'running') return;
				const body: TaskProgress = {
					success: true,
					task_id: task.id,
					image_id: newImageId(),
					image_url: `${publicBaseUrl}/results/${task.id}/intermediate_${progress}.png`,
					progress,
					actions: [],
				};
				if (task.record.response && 'progress' in task.record.response && task.record.response.success === false) {
					task.record.response = { ...task.record.response, progress };
				}
				void sendCallback(task, url, body);
			});
		});
	}

	/** POSTs the task's result (or the given body) once; never retries (the contract does not say the service does). */
	function sendCallback(task: FakeTask, url: string, progressBody?: TaskProgress): Promise<CallbackDelivery> {
		const body = progressBody ?? task.result!;
		const attempt = (callbackAttempts.get(task.id) ?? 0) + 1;
		callbackAttempts.set(task.id, attempt);
		const startedIn = generation;
		const delivery: CallbackDelivery = { taskId: task.id, url, status: 'pending', at: Date.now(), attempt, body };
		return new Promise((resolve) => {
			let settled = false;
			const settle = (status: number | string) => {
				if (settled) return;
				settled = true;
				delivery.status = status;
				if (startedIn === generation) callbacks.push(delivery);
				resolve(delivery);
			};
			let target: URL;
			try {
				target = new URL(url);
			} catch {
				settle('error: invalid callback URL');
				return;
			}
			const payload = Buffer.from(JSON.stringify(body));
			const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
			const clientRequest = send(
				target,
				{
					method: 'POST',
					headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
					timeout: CALLBACK_TIMEOUT_MS,
				},
				(response) => {
					settle(response.statusCode ?? 0);
					response.resume();
				},
			);
			callbackRequests.add(clientRequest);
			clientRequest.on('close', () => callbackRequests.delete(clientRequest));
			clientRequest.on('timeout', () => clientRequest.destroy(new Error(`no answer within ${CALLBACK_TIMEOUT_MS} ms`)));
			clientRequest.on('error', (error) => settle(`error: ${error.message}`));
			clientRequest.end(payload);
		});
	}

	async function deliverCallback(id: string, url?: string): Promise<CallbackDelivery> {
		const task = tasks.get(id);
		if (!task) throw new Error(`deliverCallback: no task with id ${id}`);
		if (task.state === 'running') throw new Error(`deliverCallback: task ${id} has not finished`);
		const target = url ?? task.callbackUrl;
		if (!target) throw new Error(`deliverCallback: task ${id} has no callback_url and no URL was given`);
		return sendCallback(task, target);
	}

	// --- auth --------------------------------------------------------------------------------

	function tokenKindOf(token: string | undefined): NonNullable<RequestLogEntry['tokenKind']> {
		if (token === undefined) return 'none';
		if (validTokens.has(token)) return 'api';
		if (validPlatformTokens.has(token)) return 'platform';
		return 'other';
	}

	/**
	 * Checks the bearer token: the API endpoints take API tokens, the platform upload takes platform
	 * tokens only (the vendor's upload skill and SDK). Answers the error itself and returns false: 400
	 * no_token without one (the vendor's MCP error table), 401 invalid_token for any other token.
	 */
	async function authorize(exchange: Exchange, accepts: 'api' | 'platform', rejectValidTokens = false): Promise<boolean> {
		const header = exchange.req.headers.authorization;
		const match = header === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(header.trim());
		const token = match ? match[1].trim() : undefined;
		if (exchange.entry) exchange.entry.tokenKind = header === undefined || header.trim() === '' ? 'none' : tokenKindOf(token);
		if (header === undefined || header.trim() === '' || /^Bearer\s*$/i.test(header.trim())) {
			await exchange.error('no_token', 'No token provided: send the header "authorization: Bearer <token>".');
			return false;
		}
		if (token === undefined || tokenKindOf(token) !== accepts || rejectValidTokens) {
			await exchange.error('invalid_token', 'The token is invalid.');
			return false;
		}
		if (exchange.entry) exchange.entry.authorized = true;
		return true;
	}

	function parseJsonObject(exchange: Exchange, rawBody: Buffer): Record<string, unknown> | undefined {
		const text = rawBody.toString('utf8');
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch {
			if (exchange.entry) exchange.entry.body = text === '' ? undefined : text.slice(0, 500);
			return undefined;
		}
		if (exchange.entry) exchange.entry.body = parsed;
		return isPlainObject(parsed) ? parsed : undefined;
	}

	/** Takes one from a fault counter; true if the fault applies to this request. */
	function takeFault(name: FaultCounter): boolean {
		if (faults[name] > 0) {
			faults[name]--;
			return true;
		}
		return false;
	}

	/** No vendor source says a 429 carries Retry-After: sent only when a test sets retryAfterSeconds. */
	/** The `submitsPerSecond` limit: tasks created within the last second. */
	function overSubmitRate(): boolean {
		if (faults.submitsPerSecond <= 0) return false;
		const since = (Date.now() - 1000) / 1000;
		let created = 0;
		for (const task of tasks.values()) if (task.record.created_at >= since) created++;
		return created >= faults.submitsPerSecond;
	}

	function retryAfterHeader(): Record<string, string> {
		return faults.retryAfterSeconds === undefined ? {} : { 'retry-after': String(faults.retryAfterSeconds) };
	}

	/** faults.apiErrors: the next N authorised API requests answer apiErrorCode's error; true if this one did. */
	async function answeredInjectedError(exchange: Exchange): Promise<boolean> {
		if (!takeFault('apiErrors')) return false;
		const code = faults.apiErrorCode ?? 'api_error';
		await exchange.error(code, FORBIDDEN_MESSAGES[code] ?? `Request refused (${code}).`);
		return true;
	}

	// --- POST /midjourney/edits and POST /midjourney/imagine (follow-ups) ----------------------

	type Checked = { error: TaskError } | { plan: TaskPlan };
	const refused = (message: string, code = 'bad_request'): Checked => ({ error: { code, message } });

	/** The optional fields edits and imagine share; returns the refusal or undefined. */
	function sharedFieldsError(body: Record<string, unknown>): Checked | undefined {
		if (body.prompt !== undefined && typeof body.prompt !== 'string') return refused('prompt must be a string');
		if (body.mode !== undefined && !EDIT_MODES.includes(body.mode as string)) {
			return refused(`mode must be one of ${EDIT_MODES.join(', ')}`);
		}
		if (body.mask !== undefined && typeof body.mask !== 'string') {
			return refused('mask must be a base64-encoded image string');
		}
		// ASSUMPTION: the service refuses a callback_url that is not an http(s) URL (undocumented).
		const callbackUrl = body.callback_url;
		const callbackUrlGiven = callbackUrl !== undefined && callbackUrl !== '';
		if (callbackUrlGiven && (typeof callbackUrl !== 'string' || !/^https?:\/\/\S+$/i.test(callbackUrl))) {
			return refused('callback_url must be an http(s) URL');
		}
		return undefined;
	}

	/** The contract's validation of an edit, as far as it is known. */
	function checkEdit(body: Record<string, unknown>): Checked {
		const action = body.action ?? 'generate';
		if (action !== 'generate') {
			return refused(`action "${String(action)}" is not implemented; use "generate"`, 'api_not_implemented');
		}
		for (const field of ['prompt', 'image_url']) {
			const value = body[field];
			if (typeof value !== 'string' || value.trim() === '') {
				return refused(`${field} is required and must be a non-empty string`);
			}
		}
		return sharedFieldsError(body) ?? { plan: { type: 'edits', image: { kind: 'grid' } } };
	}

	/**
	 * A follow-up (the contract's "Follow-up actions on a result"): `action` must be one the result
	 * named by `image_id` offers in its `actions`; variation_region needs a mask.
	 */
	function checkFollowUp(body: Record<string, unknown>): Checked {
		const { action, image_id: imageId } = body;
		if (typeof action !== 'string' || action === '') {
			return refused('action is required: a follow-up action such as upscale2, variation1, reroll or upscale_2x');
		}
		if (action === 'generate') {
			// The real endpoint also generates from a prompt; this package only uses follow-ups.
			return refused('the fake models follow-up actions (action + image_id) only, not "generate"', 'api_not_implemented');
		}
		if (!FOLLOW_UP_ACTIONS.has(action)) {
			return refused(`action "${action}" is unknown; follow-up actions: ${[...FOLLOW_UP_ACTIONS].join(', ')}`);
		}
		if (typeof imageId !== 'string' || imageId.trim() === '') {
			return refused(`image_id is required for action "${action}": the image_id of a finished result`);
		}
		const shared = sharedFieldsError(body);
		if (shared) return shared;

		const source = taskWithResultImageId(imageId);
		if (!source || (source.record.type === 'edits' && !faults.imagineAcceptsEditImageIds)) {
			return refused(`image_id "${imageId}" is not the image_id of a finished result`);
		}
		const offered = offeredActions(source.image);
		if (!offered.includes(action)) {
			return refused(`action "${action}" does not apply to image_id "${imageId}"; it offers: ${offered.join(', ')}`);
		}
		if (action === 'variation_region' && (typeof body.mask !== 'string' || body.mask === '')) {
			return refused('mask is required for action "variation_region": a base64-encoded image, white = regenerate');
		}
		const followUp: FollowUp = { action, sourceImageId: imageId, sourceTaskId: source.id };
		return { plan: { type: 'imagine', image: followUpImage(action, source), followUp } };
	}

	/** upscale1..4 upscale a quarter of the source grid, upscale_2x/4x the source upscale; the rest make a new grid. */
	function followUpImage(action: string, source: FakeTask): ResultImage {
		const quarter = /^upscale([1-4])$/.exec(action);
		if (quarter) return { kind: 'upscaled', gridTaskId: source.id, quarter: (Number(quarter[1]) - 1) as GridQuarter, scale: 1 };
		const rescale = /^upscale_([24])x$/.exec(action);
		if (rescale && source.image.kind === 'upscaled') return { ...source.image, scale: Number(rescale[1]) as 2 | 4 };
		return { kind: 'grid' };
	}

	async function handleSubmission(exchange: Exchange, service: 'edits' | 'imagine'): Promise<void> {
		const rawBody = await readBody(exchange.req);
		const body = parseJsonObject(exchange, rawBody);
		if (!(await authorize(exchange, 'api'))) return;
		if (service === 'imagine' && faults.imagineNotAcquired) {
			await exchange.error('no_api', FORBIDDEN_MESSAGES.no_api);
			return;
		}
		if (!body) {
			await exchange.error('bad_request', 'The request body must be a JSON object.');
			return;
		}
		const checked = service === 'edits' ? checkEdit(body) : checkFollowUp(body);
		if ('error' in checked) {
			await exchange.error(checked.error.code, checked.error.message);
			return;
		}
		if (await answeredInjectedError(exchange)) return;

		// Submission faults model what can happen to a valid submission, so an invalid one (answered
		// above) does not use them up.
		if (takeFault('submitRateLimit') || overSubmitRate()) {
			await exchange.error('too_many_requests', 'Too many requests; please slow down.', retryAfterHeader());
			return;
		}
		if (takeFault('submitForbidden')) {
			const code = faults.forbiddenCode ?? 'forbidden';
			await exchange.error(code, FORBIDDEN_MESSAGES[code] ?? `Request refused (${code}).`);
			return;
		}
		if (takeFault('submitServerError')) {
			if (faults.serverErrorCreatesTask) createTask(body, checked.plan);
			await exchange.error('api_error', 'Internal server error.');
			return;
		}
		if (takeFault('submitDropConnection')) {
			createTask(body, checked.plan);
			exchange.drop();
			return;
		}

		const task = createTask(body, checked.plan);
		if (task.callbackUrl || body.async === true) {
			await exchange.json(200, { task_id: task.id });
			return;
		}
		await answerWhenFinished(exchange, task);
	}

	/** Synchronous mode: hold the connection until the job finishes, then answer its result. */
	async function answerWhenFinished(exchange: Exchange, task: FakeTask): Promise<void> {
		const finished =
			task.state !== 'running'
				? task
				: await new Promise<FakeTask | undefined>((resolve) => {
						heldSyncResponses.add(exchange.res);
						const stopListening = onFinished(task, resolve);
						exchange.res.on('close', () => {
							heldSyncResponses.delete(exchange.res);
							stopListening();
							resolve(undefined);
						});
					});
		heldSyncResponses.delete(exchange.res);
		if (!finished || exchange.res.destroyed) return;
		const response = finished.result!;
		if (response.success) {
			await exchange.json(200, response);
		} else {
			// ASSUMPTION: a synchronous call whose task fails answers the plain error shape with the
			// status of the error's code (undocumented).
			await exchange.error(response.error.code, response.error.message);
		}
	}

	// --- POST /midjourney/tasks ----------------------------------------------------------------

	async function handleTasks(exchange: Exchange): Promise<void> {
		const rawBody = await readBody(exchange.req);
		const body = parseJsonObject(exchange, rawBody);
		if (!(await authorize(exchange, 'api'))) return;

		// Lookup faults model the server or the network, so they hit any authorised lookup.
		if (await answeredInjectedError(exchange)) return;
		if (takeFault('tasksRateLimit')) {
			await exchange.error('too_many_requests', 'Too many requests; please slow down.', retryAfterHeader());
			return;
		}
		if (takeFault('tasksServerError')) {
			await exchange.error('api_error', 'Internal server error.');
			return;
		}
		if (takeFault('tasksDropConnection')) {
			exchange.drop();
			return;
		}
		const malformed = takeFault('tasksMalformedJson');

		const [status, answer] = tasksAnswer(body);
		if (malformed) {
			// A proper prefix of a JSON object is never valid JSON.
			const text = JSON.stringify(answer);
			await exchange.raw(200, 'application/json', Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2)))));
			return;
		}
		await exchange.json(status, answer);
	}

	function tasksAnswer(body: Record<string, unknown> | undefined): [number, unknown] {
		const withSuccess = !faults.errorsWithoutSuccess;
		const badRequest = (message: string): [number, unknown] => [400, errorBody('bad_request', message, withSuccess)];
		if (!body) return badRequest('The request body must be a JSON object.');
		if (body.action === 'retrieve') {
			if (typeof body.id !== 'string' || body.id === '') return badRequest('id is required for action "retrieve"');
			// Unknown id: an empty object with HTTP 200, as the contract documents (or null, faults.unknownAsNull).
			return [200, tasks.get(body.id)?.record ?? (faults.unknownAsNull ? null : {})];
		}
		if (body.action === 'retrieve_batch') {
			if (!Array.isArray(body.ids) || body.ids.some((id) => typeof id !== 'string')) {
				return badRequest('ids must be an array of task ids for action "retrieve_batch"');
			}
			for (const field of ['offset', 'limit']) {
				const value = body[field];
				if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) {
					return badRequest(`${field} must be a non-negative integer`);
				}
			}
			// ASSUMPTION: unknown ids are left out (or `null` entries with faults.unknownAsNull), items keep
			// the order of `ids`, `count` is the number of entries before offset/limit apply (undocumented).
			const known = (body.ids as string[]).flatMap((id) => {
				const task = tasks.get(id);
				return task ? [task.record] : faults.unknownAsNull ? [null] : [];
			});
			const offset = (body.offset as number | undefined) ?? 0;
			// `limit` defaults to 12 (the vendor's OpenAPI file); its maximum is undocumented: tasksPageMax.
			const asked = (body.limit as number | undefined) ?? DEFAULT_TASKS_PAGE_LIMIT;
			if (faults.tasksPageMax !== undefined && asked > faults.tasksPageMax && faults.tasksPageOverMax === 'refuse') {
				return badRequest(`limit must be at most ${faults.tasksPageMax}`);
			}
			const limit = faults.tasksPageMax === undefined ? asked : Math.min(asked, faults.tasksPageMax);
			return [200, { items: known.slice(offset, offset + limit), count: known.length }];
		}
		if (body.action === undefined) return badRequest('action is required: "retrieve" or "retrieve_batch"');
		return [400, errorBody('api_not_implemented', `action "${String(body.action)}" is not implemented`, withSuccess)];
	}

	// --- POST /api/v1/files/ (platform upload) and GET /uploads/<name> --------------------------

	async function handleUpload(exchange: Exchange): Promise<void> {
		const rawBody = await readBody(exchange.req);
		const contentType = exchange.req.headers['content-type'] ?? '';
		const boundary = /^multipart\/form-data\b.*?;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
		const parts = boundary ? parseMultipart(rawBody, boundary[1] ?? boundary[2]) : [];
		const filePart = parts.find((part) => part.name === 'file');
		const fileName = filePart?.fileName ?? 'file';
		const mimeType = filePart?.mimeType ?? 'application/octet-stream';
		if (exchange.entry && filePart) exchange.entry.body = { fileName, mimeType, size: filePart.data.length };

		if (!(await authorize(exchange, 'platform', faults.uploadRejectsToken))) return;
		if (takeFault('uploadServerError')) {
			await exchange.error('api_error', 'Internal server error.');
			return;
		}
		if (!boundary) {
			await exchange.error('bad_request', 'Expected a multipart/form-data body with a field named "file".');
			return;
		}
		if (!filePart) {
			await exchange.error('bad_request', 'The multipart body has no field named "file".');
			return;
		}
		const servedName = `${randomBytes(5).toString('hex')}.${extensionFor(fileName, mimeType)}`;
		uploads.set(servedName, { fileName, mimeType, bytes: Buffer.from(filePart.data) });
		await exchange.json(200, { [faults.uploadResponseKey]: `${publicBaseUrl}/uploads/${servedName}` });
	}

	async function serveUpload(exchange: Exchange, servedName: string): Promise<void> {
		const upload = uploads.get(servedName);
		if (!upload) {
			await exchange.raw(404, 'text/plain', Buffer.from('Not Found'));
			return;
		}
		await exchange.raw(200, upload.mimeType, upload.bytes);
	}

	// --- GET /results/<task_id>/<grid|0_N|upscaled>.png ------------------------------------------

	/** The PNG of a finished task's image (grid, a split quarter of it, or an upscaled quarter), if it has one. */
	function resultImageBytes(taskId: string, which: ResultImageKind | 'upscaled'): Buffer | undefined {
		const task = tasks.get(taskId);
		if (task?.state !== 'succeeded') return undefined;
		const { image } = task;
		if (which === 'upscaled') {
			return image.kind === 'upscaled' ? upscaledImagePng(image.gridTaskId, image.quarter, image.scale) : undefined;
		}
		if (image.kind !== 'grid' || (which !== 'grid' && !task.splitImages)) return undefined;
		return resultImagePng(taskId, which);
	}

	async function serveResultImage(exchange: Exchange, taskId: string, which: ResultImageKind | 'upscaled'): Promise<void> {
		// CDN links need no token. Expired links answer 403 like the vendor's signed-link storage does.
		if (faults.expiredImages || takeFault('downloadFailures')) {
			await exchange.raw(403, 'text/plain', Buffer.from('This content is no longer available.'));
			return;
		}
		const bytes = resultImageBytes(taskId, which);
		if (!bytes) {
			await exchange.raw(404, 'text/plain', Buffer.from('Not Found'));
			return;
		}
		await exchange.raw(200, 'image/png', bytes, { 'cache-control': 'public, max-age=86400' });
	}

	// --- control surface (/__fake/...) ---------------------------------------------------------

	function applyFaults(patch: unknown): string | undefined {
		if (!isPlainObject(patch)) return 'the body must be a JSON object of fault fields';
		for (const [key, value] of Object.entries(patch)) {
			if (!Object.prototype.hasOwnProperty.call(FAULT_FIELD_KINDS, key)) {
				return `unknown fault "${key}"; known: ${Object.keys(FAULT_FIELD_KINDS).join(', ')}`;
			}
			const kind = FAULT_FIELD_KINDS[key as keyof FakeFaults];
			if (value === null) continue; // null puts the field back to its default, below
			const fits =
				kind === 'count'
					? Number.isInteger(value) && (value as number) >= 0
					: kind === 'boolean'
						? typeof value === 'boolean'
						: kind === 'string'
							? typeof value === 'string'
							: kind.includes(value as string);
			if (!fits) {
				const expected = Array.isArray(kind)
					? `one of ${kind.join(', ')}`
					: `a ${kind === 'count' ? 'non-negative integer' : kind}`;
				return `fault "${key}" must be ${expected}`;
			}
		}
		for (const [key, value] of Object.entries(patch)) {
			const field = key as keyof FakeFaults;
			if (value === null) {
				delete (faults as Partial<FakeFaults>)[field];
				if (field in DEFAULT_FAULTS) Object.assign(faults, { [field]: DEFAULT_FAULTS[field] });
			} else {
				Object.assign(faults, { [field]: value });
			}
		}
		return undefined;
	}

	async function handleControl(exchange: Exchange, method: string, path: string): Promise<void> {
		const taskAction = /^\/__fake\/tasks\/([^/]+)\/(finish|callback)$/.exec(path);
		if (method === 'POST' && path === '/__fake/faults') {
			const patch = parseJsonObject(exchange, await readBody(exchange.req));
			const problem = applyFaults(patch);
			if (problem) await exchange.error('bad_request', problem);
			else await exchange.json(200, faults);
		} else if (method === 'GET' && path === '/__fake/faults') {
			await exchange.json(200, faults);
		} else if (method === 'POST' && path === '/__fake/reset') {
			reset();
			await exchange.json(200, { ok: true });
		} else if (method === 'GET' && path === '/__fake/requests') {
			await exchange.json(200, requests);
		} else if (method === 'GET' && path === '/__fake/callbacks') {
			await exchange.json(200, callbacks);
		} else if (method === 'GET' && path === '/__fake/tasks') {
			await exchange.json(200, [...tasks.values()]);
		} else if (method === 'POST' && taskAction) {
			const [, taskId, what] = taskAction;
			const task = tasks.get(taskId);
			const options = parseJsonObject(exchange, await readBody(exchange.req)) ?? {};
			if (!task) {
				await exchange.error('not_found', `no task with id ${taskId}`);
			} else if (what === 'finish') {
				const outcome = options.outcome as FinishOutcome | undefined;
				const outcomeIsValid =
					outcome === undefined ||
					outcome === 'success' ||
					outcome === 'failure' ||
					(isPlainObject(outcome) && typeof outcome.code === 'string' && typeof outcome.message === 'string');
				if (!outcomeIsValid) {
					await exchange.error('bad_request', 'outcome must be "success", "failure" or {"code","message"}');
				} else if (!finishTask(taskId, outcome)) {
					await exchange.json(409, errorBody('bad_request', `task ${taskId} has already finished`));
				} else {
					await exchange.json(200, task);
				}
			} else {
				try {
					await exchange.json(200, await deliverCallback(taskId, typeof options.url === 'string' ? options.url : undefined));
				} catch (error) {
					await exchange.json(409, errorBody('bad_request', (error as Error).message));
				}
			}
		} else {
			await exchange.error('not_found', `no control endpoint ${method} ${path}`);
		}
	}

	// --- routing -------------------------------------------------------------------------------

	async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const method = (req.method ?? 'GET').toUpperCase();
		const path = new URL(req.url ?? '/', 'http://fake.invalid').pathname;

		if (path.startsWith('/__fake/')) {
			// Test plumbing, not the API: not logged, no token, no delay.
			await handleControl(new Exchange(req, res, undefined, 0), method, path);
			return;
		}

		const entry: RequestLogEntry = { method, path, at: Date.now(), body: undefined, authorized: false };
		requests.push(entry);
		const isApi = path.startsWith('/midjourney/') || path.startsWith('/api/');
		const exchange = new Exchange(req, res, entry, isApi ? faults.responseDelayMs : 0, !faults.errorsWithoutSuccess);

		const resultImage = /^\/results\/([^/]+)\/(grid|upscaled|0_[0-3])\.png$/.exec(path);
		const upload = /^\/uploads\/([A-Za-z0-9]+\.[A-Za-z0-9]+)$/.exec(path);
		if (method === 'POST' && path === '/midjourney/edits') {
			await handleSubmission(exchange, 'edits');
		} else if (method === 'POST' && path === '/midjourney/imagine') {
			await handleSubmission(exchange, 'imagine');
		} else if (method === 'POST' && path === '/midjourney/tasks') {
			await handleTasks(exchange);
		} else if (method === 'POST' && (path === '/api/v1/files/' || path === '/api/v1/files')) {
			await handleUpload(exchange);
		} else if (method === 'GET' && resultImage) {
			const name = resultImage[2];
			const which = name === 'grid' || name === 'upscaled' ? name : (Number(name.slice(2)) as GridQuarter);
			await serveResultImage(exchange, resultImage[1], which);
		} else if (method === 'GET' && upload) {
			await serveUpload(exchange, upload[1]);
		} else {
			// ASSUMPTION: the contract has no code for an unknown route; the error shape with not_found.
			await exchange.error('not_found', `${method} ${path} does not exist`);
		}
	}

	const server = createServer((req, res) => {
		handleRequest(req, res).catch((error: unknown) => {
			// A bug in the fake (or a body over the size limit): answer rather than hang the client.
			if (!res.headersSent && !res.destroyed) {
				const text = JSON.stringify(errorBody('api_error', `fake API internal error: ${(error as Error).message}`));
				res.writeHead(500, { 'content-type': 'application/json' }).end(text);
			}
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as { port: number }).port;
	const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
	publicBaseUrl = (options.publicBaseUrl ?? url).replace(/\/+$/, '');

	// --- lifecycle -----------------------------------------------------------------------------

	function stopEverythingInFlight(): void {
		generation++;
		for (const timer of jobTimers.values()) clearTimeout(timer);
		jobTimers.clear();
		for (const timer of callbackTimers) clearTimeout(timer);
		callbackTimers.clear();
		for (const clientRequest of callbackRequests) clientRequest.destroy();
		callbackRequests.clear();
		// Held synchronous calls would otherwise wait for tasks that no longer exist.
		for (const response of heldSyncResponses) response.destroy();
		heldSyncResponses.clear();
		finishListeners.clear();
	}

	function reset(): void {
		stopEverythingInFlight();
		tasks.clear();
		requests.length = 0;
		callbacks.length = 0;
		uploads.clear();
		callbackAttempts.clear();
		// Same object, so code holding `fake.faults` keeps working.
		for (const key of Object.keys(faults)) delete (faults as Partial<FakeFaults>)[key as keyof FakeFaults];
		Object.assign(faults, DEFAULT_FAULTS);
	}

	function count(method: string, path: string | RegExp, predicate?: (entry: RequestLogEntry) => boolean): number {
		return requests.filter(
			(entry) =>
				entry.method === method.toUpperCase() &&
				(typeof path === 'string' ? entry.path === path : path.test(entry.path)) &&
				(predicate ? predicate(entry) : true),
		).length;
	}

	function tasksRequestsFor(action: string): RequestLogEntry[] {
		return requests.filter(
			(entry) =>
				entry.method === 'POST' &&
				entry.path === '/midjourney/tasks' &&
				isPlainObject(entry.body) &&
				entry.body.action === action,
		);
	}

	async function waitFor<T>(predicate: () => T, timeoutMs = 5000): Promise<NonNullable<T>> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = predicate();
			if (value) return value as NonNullable<T>;
			if (Date.now() >= deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
			await sleep(10);
		}
	}

	async function close(): Promise<void> {
		stopEverythingInFlight();
		await new Promise<void>((resolve) => {
			server.close(() => resolve());
			server.closeAllConnections();
		});
	}

	return {
		url,
		port,
		faults,
		tasks,
		requests,
		callbacks,
		uploads,
		count,
		tasksRequestsFor,
		reset,
		finishTask,
		deliverCallback,
		waitFor,
		close,
	};
}
