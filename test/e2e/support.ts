/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Small helpers the callback and file e2e suites need on top of n8nInstance.ts: counting a workflow's
 * executions, reading the bytes of binary data n8n stored, the output items of a node with their
 * binary fields, and multipart posts like a browser's form upload. Nothing here depends on jest.
 */
import type { N8nExecution, N8nInstance, WorkflowFixture } from './n8nInstance';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the execution is waiting (a "Wait for Callback" run has submitted and paused). Reads
 * the execution itself: n8n 1.x's execution list leaves waiting executions out unless asked by status.
 */
export async function untilWaiting(n8n: N8nInstance, executionId: string, timeoutMs = 30_000): Promise<void> {
	for (const deadline = Date.now() + timeoutMs; (await n8n.getExecution(executionId, false)).status !== 'waiting'; ) {
		if (Date.now() > deadline) throw new Error(`execution ${executionId} did not start waiting within ${timeoutMs} ms`);
		await sleep(100);
	}
}

export interface PostAnswer {
	status: number;
	body: unknown;
}

/** POSTs a JSON body the way the API posts a callback; the answer's body parsed when it is JSON. */
export async function postJson(url: string, body: unknown): Promise<PostAnswer> {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	let parsed: unknown = text;
	try {
		parsed = JSON.parse(text);
	} catch {
		// Not JSON: keep the text.
	}
	return { status: response.status, body: parsed };
}

/** What n8n stores for one binary field of an item (IBinaryData as the public API returns it). */
export interface StoredBinary {
	mimeType?: string;
	fileName?: string;
	fileExtension?: string;
	/** Base64 contents in n8n's memory mode; the mode's name (e.g. "filesystem-v2") otherwise. */
	data?: string;
	/** `<mode>:<path>` when the contents live outside the execution data (filesystem, database, s3). */
	id?: string;
	[key: string]: unknown;
}

export interface OutputItem {
	json: Record<string, unknown>;
	binary?: Record<string, StoredBinary>;
}

/** Every item (json and binary) of a node's last run, main output 0 unless told. */
export function nodeOutputItems(execution: N8nExecution, nodeName: string, outputIndex = 0): OutputItem[] {
	const runs = execution.data?.resultData.runData[nodeName];
	if (!runs || runs.length === 0) throw new Error(`node "${nodeName}" did not run in execution ${execution.id}`);
	const items = (runs[runs.length - 1].data?.main?.[outputIndex] ?? []) as unknown as OutputItem[];
	return items;
}

/** How many executions of a workflow the public API lists (finished and waiting ones; running ones are not listed). */
export async function countExecutions(n8n: N8nInstance, workflowId: string): Promise<number> {
	return (await n8n.listExecutions({ workflowId, limit: 250 })).length;
}

/**
 * A login cookie of the instance's owner, for the editor endpoints the public API lacks (binary
 * downloads). A fresh login: the instance keeps its own cookie private.
 */
async function ownerCookie(n8n: N8nInstance, browserId: string): Promise<string> {
	const response = await fetch(`${n8n.baseUrl}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': browserId },
		body: JSON.stringify({ emailOrLdapLoginId: n8n.owner.email, password: n8n.owner.password }),
	});
	if (!response.ok) throw new Error(`POST /rest/login answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
	const cookie = response.headers.getSetCookie().find((candidate) => candidate.startsWith('n8n-auth='));
	if (!cookie) throw new Error('POST /rest/login answered without an n8n-auth cookie');
	return cookie.split(';')[0];
}

const cookies = new WeakMap<N8nInstance, Promise<string>>();
const BROWSER_ID = 'e2e-support-binary-reader';

/**
 * The bytes of a stored binary field. n8n 2.41's default mode keeps files outside the execution data
 * (`data: "filesystem-v2"`, `id: "filesystem-v2:workflows/..."`): those are fetched the way the
 * editor's download button does (`GET /rest/binary-data?id=...&action=download`). In memory mode
 * `data` is the base64 contents itself.
 */
export async function readStoredBinary(n8n: N8nInstance, binary: StoredBinary): Promise<Buffer> {
	if (!binary.id) {
		if (typeof binary.data !== 'string') throw new Error(`binary field has neither id nor data: ${JSON.stringify(binary)}`);
		return Buffer.from(binary.data, 'base64');
	}
	let cookie = cookies.get(n8n);
	if (!cookie) {
		cookie = ownerCookie(n8n, BROWSER_ID);
		cookies.set(n8n, cookie);
	}
	const url = `${n8n.baseUrl}/rest/binary-data?id=${encodeURIComponent(binary.id)}&action=download`;
	const response = await fetch(url, { headers: { cookie: await cookie, 'browser-id': BROWSER_ID } });
	if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
	return Buffer.from(await response.arrayBuffer());
}

export interface MultipartFile {
	bytes: Buffer;
	fileName: string;
	mimeType: string;
}

/** POSTs multipart/form-data as a browser submits a form: strings as fields, files as file parts. */
export async function postMultipart(
	url: string,
	fields: Record<string, string | MultipartFile>,
): Promise<{ status: number; contentType: string; text: string }> {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) {
		if (typeof value === 'string') form.append(name, value);
		else form.append(name, new Blob([value.bytes], { type: value.mimeType }), value.fileName);
	}
	const response = await fetch(url, { method: 'POST', body: form });
	return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** Production URL of a Form Trigger whose path is `formPath` (n8n serves forms under /form/). */
export function formUrl(n8n: N8nInstance, formPath: string): string {
	return `${n8n.baseUrl}/form/${formPath.replace(/^\/+/, '')}`;
}

/**
 * Loads a form page as a browser does. n8n registers a form's path about a second after the workflow
 * is activated: a 404 before that is retried (for up to 20 s), anything else is returned.
 */
export async function loadForm(n8n: N8nInstance, formPath: string): Promise<Response> {
	const deadline = Date.now() + 20_000;
	let page = await fetch(formUrl(n8n, formPath));
	while (page.status === 404 && Date.now() < deadline) {
		await sleep(250);
		page = await fetch(formUrl(n8n, formPath));
	}
	return page;
}

/**
 * The files a Form Ending page set to "Return Binary File" hands the browser: n8n 2.41 embeds them
 * URI-encoded as JSON (`[{ data: { type: 'Buffer', data: [...] }, fileName, type }]`) in the page's
 * script, which then offers them as downloads.
 */
export function filesOfCompletionPage(html: string): Array<{ fileName: string; mimeType: string; bytes: Buffer }> {
	const match = /JSON\.parse\(decodeURIComponent\("([^"]*)"\)\)/.exec(html);
	if (!match) throw new Error('the completion page embeds no files (no JSON.parse(decodeURIComponent("...")))');
	const files = JSON.parse(decodeURIComponent(match[1])) as Array<{
		data: { type: 'Buffer'; data: number[] } | string;
		fileName: string;
		type: string;
	}>;
	return files.map((file) => ({
		fileName: file.fileName,
		mimeType: file.type,
		// n8n sends a Buffer's JSON for stored files and a binary string for inline ones.
		bytes: typeof file.data === 'string' ? Buffer.from(file.data, 'latin1') : Buffer.from(file.data.data),
	}));
}

/** A copy of a fixture with one node's parameters shallow-merged (options merged one level deeper). */
export function withNodeParameters(
	fixture: WorkflowFixture,
	nodeName: string,
	patch: Record<string, unknown>,
): WorkflowFixture {
	let found = false;
	const nodes = fixture.nodes.map((node) => {
		if (node.name !== nodeName) return node;
		found = true;
		const parameters = (node.parameters ?? {}) as Record<string, unknown>;
		const merged: Record<string, unknown> = { ...parameters, ...patch };
		if (patch.options && typeof patch.options === 'object') {
			merged.options = { ...((parameters.options as Record<string, unknown>) ?? {}), ...(patch.options as Record<string, unknown>) };
		}
		return { ...node, parameters: merged };
	});
	if (!found) throw new Error(`fixture "${fixture.name}" has no node "${nodeName}"`);
	return { ...fixture, nodes };
}
