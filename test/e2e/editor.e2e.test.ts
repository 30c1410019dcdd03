/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/require-node-api-error -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * What users see (issue 7): the packed package inside n8n 2.41.1's editor, driven in headless
 * Chromium. Logs in as the owner, finds the nodes in the node panel, opens every node's parameter
 * panel and the credential dialog, runs a first edit against the fake API, and takes the screenshots
 * the README shows (docs/images/*.png; rewritten there only by `npm run docs:images`).
 *
 * Needs Debian's Chromium at /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it).
 * The test fails, never skips, without it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { chromium, selectors, type BrowserContext, type Locator, type Page } from 'playwright-core';

import { startFakeAceDataCloud, type FakeAceDataCloud } from '../fake-api/fakeAceDataCloud';
import { N8nInstance, PACKAGE_NAME, type CreatedCredential, type CreatedWorkflow, type WorkflowFixture } from './n8nInstance';
import { repoRoot } from './packageUnderTest';

const CHROMIUM = '/usr/bin/chromium';
// The flags our machines need: no sandbox (root in a container), no GPU, and no background traffic
// (without the networking flags Chromium floods the closed network with refused connections).
const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
/**
 * The README's pictures are rewritten only on request (`npm run docs:images`), so that a test run
 * leaves the working tree as it was; otherwise they go to a temporary folder, checked the same way.
 */
const IMAGES_DIR =
	process.env.UPDATE_DOCS_IMAGES === '1'
		? path.join(repoRoot, 'docs', 'images')
		: path.join(tmpdir(), `midjourney-edits-editor-shots-${process.pid}`);
// Committed assets: keep the repository small.
const MAX_SCREENSHOT_BYTES = 300 * 1024;
/** The editor on a busy 2-core machine: the first page load alone can take 20 s. */
const UI_TIMEOUT_MS = 60_000;

const ACTION_TYPE = `${PACKAGE_NAME}.midjourneyEdits`;
const TRIGGER_TYPE = `${PACKAGE_NAME}.midjourneyEditsTrigger`;
const GOOD_TOKEN = 'editor-e2e-token';
const CAT_PHOTO = 'https://cdn.example.com/photos/cat.jpg';
const TRIGGER_WEBHOOK_ID = '6f0e1c9a-3b1d-4d7e-8a52-c4e2b7f91d03';

/** What n8n's parameter panel shows when a node's description cannot be rendered. */
const PANEL_ERROR = /There was a problem|Could not load|Error loading|node is not currently installed|Install this node/i;

/** Polls `read` until `done(value)` or the deadline; returns the last value (assert on it afterwards). */
async function pollFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = UI_TIMEOUT_MS, intervalMs = 250): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let value = await read();
	while (!done(value) && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
		value = await read();
	}
	return value;
}

/**
 * Retries `assertion` until it passes or the deadline; then throws its last failure. The editor
 * renders lists in steps (more so on a busy machine): a check of a whole list waits for the whole
 * list rather than for its first entry.
 */
async function eventually(assertion: () => Promise<void>, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			await assertion();
			return;
		} catch (error) {
			if (Date.now() >= deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}
}

const CHROMIUM_MISSING =
	`Chromium is missing at ${CHROMIUM}: the editor test drives n8n's editor in it. \`npm run test:all\` ` +
	'installs it (scripts/e2e-system-deps.sh, as root); or run `apt-get update && apt-get install -y chromium`. ' +
	'`npx playwright install` does not work on our machines.';

function node(
	name: string,
	type: string,
	position: [number, number],
	parameters: Record<string, unknown>,
	credential?: CreatedCredential,
	extra: Record<string, unknown> = {},
): Record<string, unknown> {
	return {
		id: `7e1d0c6a-0f7b-4c1e-9d2a-${String(Math.abs(position[0] * 7 + position[1] * 13)).padStart(12, '0')}`,
		name,
		type,
		typeVersion: 1,
		position,
		parameters,
		...(credential ? { credentials: { aceDataCloudApi: { id: credential.id, name: credential.name } } } : {}),
		...extra,
	};
}

function main(to: string): Record<string, unknown> {
	return { main: [[{ node: to, type: 'main', index: 0 }]] };
}

/** The README's first workflow: a Manual Trigger and one edit that waits for its result. */
function firstEditWorkflow(credential: CreatedCredential): WorkflowFixture {
	return {
		name: 'My first Midjourney edit',
		nodes: [
			node("When clicking 'Execute workflow'", 'n8n-nodes-base.manualTrigger', [0, 0], {}),
			node(
				'Edit Image',
				ACTION_TYPE,
				[260, 0],
				{
					resource: 'image',
					operation: 'edit',
					imageSource: 'url',
					imageUrl: CAT_PHOTO,
					prompt: 'the same cat, as a watercolor painting',
					waitMode: 'poll',
					mode: 'fast',
					output: 'grid',
					// Nothing under Options: the README's first run needs none (issue 15).
					options: {},
				},
				credential,
			),
		],
		connections: { "When clicking 'Execute workflow'": main('Edit Image') },
		settings: { executionOrder: 'v1' },
	};
}

/** Every other panel of ours: the two other wait modes, both task lookups and the trigger. */
function everyNodeWorkflow(credential: CreatedCredential): WorkflowFixture {
	const edit = (waitMode: string, extra: Record<string, unknown> = {}) => ({
		resource: 'image',
		operation: 'edit',
		imageSource: 'url',
		imageUrl: CAT_PHOTO,
		prompt: 'the same cat, wearing a red hat',
		waitMode,
		mode: 'fast',
		options: {},
		...extra,
	});
	return {
		name: 'Midjourney Edits: every node',
		nodes: [
			node("When clicking 'Execute workflow'", 'n8n-nodes-base.manualTrigger', [0, 0], {}),
			node(
				"Edit Image (Don't Wait)",
				ACTION_TYPE,
				[260, 0],
				edit('none', { options: { callbackUrl: `https://n8n.example.com/webhook/${TRIGGER_WEBHOOK_ID}/callback` } }),
				credential,
			),
			node('Get Task', ACTION_TYPE, [520, 0], { resource: 'task', operation: 'get', taskId: '={{ $json.task_id }}' }, credential),
			node(
				'Get Many Tasks',
				ACTION_TYPE,
				[780, 0],
				{ resource: 'task', operation: 'getMany', taskIds: '={{ $json.task_id }}' },
				credential,
			),
			node('Edit Image (Wait for Callback)', ACTION_TYPE, [260, 220], edit('callback'), credential),
			// A follow-up on the edit's result (issue 17): its Image ID defaults to the incoming image_id.
			node(
				'Upscale Image',
				ACTION_TYPE,
				[520, 220],
				{ resource: 'image', operation: 'upscale', upscaleAction: 'upscale2', mode: 'fast', options: {} },
				credential,
			),
			node('Midjourney Edits Trigger', TRIGGER_TYPE, [0, 440], { events: 'both', options: {} }, credential, {
				webhookId: TRIGGER_WEBHOOK_ID,
			}),
		],
		connections: {
			"When clicking 'Execute workflow'": {
				main: [
					[
						{ node: "Edit Image (Don't Wait)", type: 'main', index: 0 },
						{ node: 'Edit Image (Wait for Callback)', type: 'main', index: 0 },
					],
				],
			},
			"Edit Image (Don't Wait)": main('Get Task'),
			'Get Task': main('Get Many Tasks'),
			'Edit Image (Wait for Callback)': main('Upscale Image'),
		},
		settings: { executionOrder: 'v1' },
	};
}

describe("n8n's editor shows the package (headless Chromium)", () => {
	let fake: FakeAceDataCloud;
	let n8n: N8nInstance;
	let credential: CreatedCredential;
	let firstEdit: CreatedWorkflow;
	let everyNode: CreatedWorkflow;
	let browserProfile: string;
	let browser: BrowserContext;
	let page: Page;
	const pageErrors: string[] = [];

	async function screenshot(name: string, clip?: Locator): Promise<string> {
		// A picture of a settled page: no transition or finite animation still running (spinners run forever).
		await eventually(async () => {
			const running = await page.evaluate(
				() =>
					document
						.getAnimations()
						.filter((animation) => animation.playState === 'running' && animation.effect?.getTiming().iterations !== Infinity).length,
			);
			expect(running).toBe(0);
		});
		const file = path.join(IMAGES_DIR, `${name}.png`);
		await (clip ? clip.screenshot({ path: file }) : page.screenshot({ path: file }));
		const bytes = statSync(file).size;
		expect({ file: name, small: bytes <= MAX_SCREENSHOT_BYTES }).toEqual({ file: name, small: true });
		return file;
	}

	/**
	 * Opens a workflow in the editor and waits until the canvas shows every node of it (sticky notes
	 * aside) inside the visible area, and has stopped moving: the editor fits the view to the nodes
	 * once they have rendered, which is what the screenshots show.
	 */
	async function openWorkflow(workflow: CreatedWorkflow): Promise<void> {
		const nodes = (workflow.nodes ?? []) as Array<{ name: string; type: string }>;
		const shown = nodes.filter((entry) => entry.type !== 'n8n-nodes-base.stickyNote').map((entry) => entry.name);
		expect(shown.length).toBeGreaterThan(0);
		await page.goto(`${n8n.baseUrl}/workflow/${workflow.id}`);
		for (const name of shown) await canvasNode(name).waitFor({ timeout: UI_TIMEOUT_MS });
		const viewport = page.viewportSize() ?? VIEWPORT;
		const placement = async () =>
			await Promise.all(shown.map(async (name) => await canvasNode(name).boundingBox()));
		let previous = '';
		await eventually(async () => {
			const boxes = await placement();
			const inView = boxes.every(
				(box) => box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height,
			);
			const current = JSON.stringify(boxes);
			const still = current === previous;
			previous = current;
			expect({ inView, still }).toEqual({ inView: true, still: true });
		});
	}

	function canvasNode(name: string): Locator {
		return page.locator(`[data-test-id="canvas-node"][data-node-name="${name.replace(/"/g, '\\"')}"]`);
	}

	/** Asserts the icon inside `scope` is our SVG and actually loaded (n8n shows a letter when it fails). */
	async function expectOurIcon(scope: Locator): Promise<void> {
		const icon = scope.locator('.n8n-node-icon').first();
		await icon.waitFor({ timeout: UI_TIMEOUT_MS });
		const image = icon.locator('img');
		await eventually(async () => {
			expect(await image.count()).toBeGreaterThan(0);
			expect(await image.first().getAttribute('src')).toMatch(new RegExp(`/icons/${PACKAGE_NAME}/.+/midjourney(\\.dark)?\\.svg$`));
		});
		const loadedWidth = await pollFor(
			async () => await image.first().evaluate((element) => (element as HTMLImageElement).naturalWidth),
			(width) => width > 0,
		);
		expect(loadedWidth).toBeGreaterThan(0);
	}

	/** Opens a node's parameter panel (double click), checks it rendered, returns the panel. */
	async function openPanel(name: string, expectedInputs: string[]): Promise<Locator> {
		await canvasNode(name).dblclick();
		const ndv = page.getByTestId('ndv');
		await ndv.waitFor({ timeout: UI_TIMEOUT_MS });
		const parameters = ndv.getByTestId('node-parameters');
		await parameters.waitFor({ timeout: UI_TIMEOUT_MS });
		for (const input of expectedInputs) {
			await ndv.getByTestId(`parameter-input-${input}`).first().waitFor({ timeout: UI_TIMEOUT_MS });
		}
		expect(await parameters.innerText()).not.toMatch(PANEL_ERROR);
		// The credential selector shows our credential, not "Select credential".
		await eventually(async () =>
			expect(await ndv.getByTestId('node-credentials-select').locator('input').first().inputValue()).toBe(credential.name),
		);
		return ndv;
	}

	/** Scrolls the parameter panel so that `element` sits in its middle (for the screenshots). */
	async function scrollToCentre(element: Locator): Promise<void> {
		await element.evaluate((target) => target.scrollIntoView({ block: 'center', behavior: 'instant' }));
	}

	async function closePanel(): Promise<void> {
		await page.getByTestId('ndv-close-button').click();
		await page.getByTestId('ndv').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
	}

	beforeAll(async () => {
		// Fail with the fix in the message rather than somewhere inside Playwright.
		if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM_MISSING);
		mkdirSync(IMAGES_DIR, { recursive: true });
		fake = await startFakeAceDataCloud({ port: 0, validTokens: [GOOD_TOKEN], jobDurationMs: 1500 });
		n8n = await N8nInstance.start();
		credential = await n8n.createCredential({
			name: 'Ace Data Cloud account',
			type: 'aceDataCloudApi',
			data: { apiToken: GOOD_TOKEN, baseUrl: fake.url, platformBaseUrl: fake.url },
		});
		firstEdit = await n8n.createWorkflow(firstEditWorkflow(credential));
		everyNode = await n8n.createWorkflow(everyNodeWorkflow(credential));

		selectors.setTestIdAttribute('data-test-id');
		browserProfile = mkdtempSync(path.join(tmpdir(), 'chromium-e2e-'));
		browser = await chromium.launchPersistentContext(browserProfile, {
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_FLAGS,
			viewport: VIEWPORT,
			deviceScaleFactor: 1,
			locale: 'en-US',
			timezoneId: 'UTC',
		});
		page = browser.pages()[0] ?? (await browser.newPage());
		page.setDefaultTimeout(UI_TIMEOUT_MS);
		page.on('pageerror', (error) => pageErrors.push(error.message));
	});

	afterAll(async () => {
		await browser?.close();
		if (browserProfile) rmSync(browserProfile, { recursive: true, force: true });
		await n8n?.stop();
		await fake?.close();
	});

	it('logs in as the owner through the sign-in page', async () => {
		await page.goto(`${n8n.baseUrl}/signin`);
		await page.getByTestId('emailOrLdapLoginId').locator('input').fill(n8n.owner.email);
		await page.getByTestId('password').locator('input').fill(n8n.owner.password);
		await page.getByTestId('form-submit-button').click();
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: UI_TIMEOUT_MS });
		expect(new URL(page.url()).pathname).not.toMatch(/signin|setup/);
	});

	it('shows our nodes on the canvas with their icon', async () => {
		await openWorkflow(firstEdit);
		await expectOurIcon(canvasNode('Edit Image'));
	});

	it("shows subtitles that say what the node's name does not (Title Case, never the name again)", async () => {
		/** The lines under a canvas node's icon: its name, then its subtitle if it has one (not n8n's run button of a trigger). */
		const captions = async (name: string) =>
			(await canvasNode(name).innerText())
				.split('\n')
				.map((line) => line.trim())
				.filter((line) => line !== '' && line !== 'Execute workflow');
		await openWorkflow(firstEdit);
		await eventually(async () => expect(await captions('Edit Image')).toEqual(['Edit Image', 'Poll Until Done']));
		await openWorkflow(everyNode);
		await eventually(async () => {
			expect(await captions("Edit Image (Don't Wait)")).toEqual(["Edit Image (Don't Wait)", "Don't Wait"]);
			expect(await captions('Edit Image (Wait for Callback)')).toEqual(['Edit Image (Wait for Callback)', 'Wait for Callback']);
			expect(await captions('Upscale Image')).toEqual(['Upscale Image', 'Poll Until Done']);
			expect(await captions('Get Task')).toEqual(['Get Task']);
			expect(await captions('Get Many Tasks')).toEqual(['Get Many Tasks']);
			expect(await captions('Midjourney Edits Trigger')).toEqual(['Midjourney Edits Trigger', 'On Finished Edit']);
		});
	});

	it('finds "Midjourney" in the node panel: one entry with our icon, listing the trigger and the actions', async () => {
		await openWorkflow(firstEdit);
		// The canvas's "Open nodes panel" button (a user may also press N on the canvas).
		await page.getByTestId('node-creator-plus-button').click();
		const creator = page.getByTestId('node-creator');
		await creator.waitFor({ timeout: UI_TIMEOUT_MS });
		await creator.getByTestId('node-creator-search-bar').fill('Midjourney');

		const entries = creator.getByTestId('item-iterator-item');
		const firstLines = async () => (await entries.allInnerTexts()).map((text) => text.split('\n')[0].trim());
		// The list shows the panel's categories until the search has run, then the results: wait for
		// exactly ours. n8n merges an action node and its trigger into one entry.
		await eventually(async () => {
			expect(await creator.getByTestId('node-creator-no-results').count()).toBe(0);
			expect(await firstLines()).toEqual(['Midjourney Edits']);
		});
		await expectOurIcon(entries.first());
		await screenshot('node-panel-search');

		await entries.first().click();
		// The entry's page: our node on top, then its actions and triggers as list items. Rendered in
		// steps: wait for the whole list. Our operations, and nothing else: an `options` parameter named
		// "mode" in a node whose codex category is "AI" would add bogus "Fast / Relax / Turbo" actions
		// here (the codex avoids "AI").
		// With the follow-ups (issue 17) the entry's page lists eight actions, and n8n 2.41 then shows our
		// node's header apart from the list items: the items from the first category on are compared.
		await eventually(async () => {
			const lines = (await firstLines()).filter((name) => !/^Triggers/.test(name));
			expect(lines.slice(lines.indexOf('IMAGE ACTIONS'))).toEqual([
				'IMAGE ACTIONS',
				'Edit image with prompt',
				'Pan image',
				'Reroll image',
				'Upscale image',
				'Vary image',
				'Zoom out image',
				'TASK ACTIONS',
				'Get task',
				'Get many tasks',
			]);
		});

		await expect(creator.innerText()).resolves.toContain('Midjourney Edits');
		const triggersHeader = creator.getByTestId('node-creator-category-item').filter({ hasText: /Triggers/ });
		await eventually(async () => expect(await triggersHeader.innerText()).toMatch(/Triggers \(3\)/));
		await triggersHeader.click();
		await eventually(async () => {
			const triggerEntries = (await creator.innerText()).match(/On (finished|successful|failed) edit\b/gi) ?? [];
			expect(triggerEntries.map((text) => text.toLowerCase()).sort()).toEqual([
				'on failed edit',
				'on finished edit',
				'on successful edit',
			]);
		});
		await screenshot('node-panel-actions');
		await page.keyboard.press('Escape');
	});

	it('opens the Edit panel (Poll Until Done) without errors', async () => {
		await openWorkflow(firstEdit);
		const ndv = await openPanel('Edit Image', ['resource', 'operation', 'imageSource', 'imageUrl', 'prompt', 'mode', 'output', 'waitMode']);
		// The cost notice is the first thing under the operation.
		await expect(ndv.innerText()).resolves.toContain('paid Midjourney edit');
		// Issue 15: Image, Prompt, Speed, Output, Wait Mode in this order on the main panel, the rest in Options.
		const shown = await ndv
			.getByTestId('node-parameters')
			.locator('[data-test-id^="parameter-input-"]')
			.evaluateAll((inputs) => inputs.map((input) => input.getAttribute('data-test-id')!.replace('parameter-input-', '')));
		const main = ['imageSource', 'imageUrl', 'prompt', 'mode', 'output', 'waitMode'];
		expect(shown.filter((name) => main.includes(name))).toEqual(main);
		expect(shown.filter((name) => ['callbackUrl', 'maskBinaryPropertyName', 'maskBase64', 'splitImages'].includes(name))).toEqual([]);
		await expect(ndv.getByTestId('node-parameters').innerText()).resolves.toContain('Speed');
		await screenshot('ndv-edit');
		await closePanel();
	});

	it('runs the first edit from the editor and shows the result with its image file', async () => {
		await openWorkflow(firstEdit);
		fake.reset();
		await page.getByTestId('execute-workflow-button').click();
		// The run takes a few seconds (the fake's job lasts 1.5 s; the node polls every second).
		const successMarks = await pollFor(
			async () => await canvasNode('Edit Image').getByTestId('canvas-node-status-success').count(),
			(count) => count > 0,
			UI_TIMEOUT_MS,
			1000,
		);
		expect(successMarks).toBeGreaterThan(0);
		expect(fake.count('POST', '/midjourney/edits')).toBe(1);
		// The run button animates back to its label after the run; wait for it (for the picture).
		await pollFor(async () => await page.getByTestId('execute-workflow-button').innerText(), (label) => /Execute workflow/.test(label));
		await screenshot('canvas-first-edit-done');

		const ndv = await openPanel('Edit Image', ['prompt']);
		const output = ndv.getByTestId('output-panel');
		// With "Download Images: Grid Image" the output opens on the file n8n stored: <task_id>.png.
		const [submitted] = fake.requests.filter((entry) => entry.path === '/midjourney/edits');
		expect(submitted).toBeDefined();
		const taskId = [...fake.tasks.keys()][0];
		const binaryView = await pollFor(
			async () => await output.innerText(),
			(text) => text.includes(`${taskId}.png`) && text.includes('image/png') && /1 item/.test(text),
			UI_TIMEOUT_MS,
		);
		expect(binaryView).toMatch(/1 item/);
		expect(binaryView).toContain(`${taskId}.png`);
		expect(binaryView).toContain('image/png');
		await screenshot('ndv-edit-result');
		// The JSON view: the API's result fields as they are.
		await output.getByTestId('radio-button-json').click();
		// The viewer renders its lines in steps (more so on a busy machine): wait for the last field,
		// not the first. (It marks whitespace with dots.)
		const jsonView = await pollFor(async () => await output.innerText(), (text) => /"success"\W+true/.test(text), UI_TIMEOUT_MS);
		expect(jsonView).toContain(taskId);
		expect(jsonView).toContain('image_url');
		expect(jsonView).toMatch(/"success"\W+true/);
		await screenshot('ndv-edit-result-json');
		await closePanel();
	});

	it("opens the Edit panel in \"Wait for Callback\" and \"Don't Wait\" modes without errors", async () => {
		await openWorkflow(everyNode);
		let ndv = await openPanel('Edit Image (Wait for Callback)', ['waitMode', 'prompt']);
		await expect(ndv.innerText()).resolves.toMatch(/must reach this n8n over the internet/);
		await scrollToCentre(ndv.getByTestId('parameter-input-waitMode'));
		await screenshot('ndv-wait-callback');
		await closePanel();

		ndv = await openPanel("Edit Image (Don't Wait)", ['waitMode']);
		await scrollToCentre(ndv.getByTestId('parameter-input-waitMode'));
		await screenshot('ndv-dont-wait');
		await closePanel();
	});

	it('opens the Upscale panel (a follow-up on a result) without errors, its Image ID mapped from the incoming item', async () => {
		await openWorkflow(everyNode);
		const ndv = await openPanel('Upscale Image', ['resource', 'operation', 'imageId', 'upscaleAction', 'mode', 'output', 'waitMode']);
		// The expression editor fills in after its input appears: wait for both texts.
		await eventually(async () => {
			expect(await ndv.innerText()).toContain('paid Midjourney task on a finished result');
			expect(await ndv.getByTestId('parameter-input-imageId').innerText()).toContain('image_id');
		});
		await screenshot('ndv-upscale');
		await closePanel();
	});

	it("opens the Task resource's Get and Get Many panels without errors", async () => {
		await openWorkflow(everyNode);
		// Simplify (on by default) on the main panel, under the task ID(s).
		await openPanel('Get Task', ['resource', 'operation', 'taskId', 'simplify']);
		await screenshot('ndv-task-get');
		await closePanel();
		await openPanel('Get Many Tasks', ['resource', 'operation', 'taskIds', 'simplify']);
		await screenshot('ndv-task-get-many');
		await closePanel();
	});

	it('opens the trigger panel without errors, with its setup notice', async () => {
		await openWorkflow(everyNode);
		await expectOurIcon(canvasNode('Midjourney Edits Trigger'));
		const ndv = await openPanel('Midjourney Edits Trigger', ['events']);
		await expect(ndv.innerText()).resolves.toMatch(/Copy this node's Production URL/);
		// The URL the notice talks about: the Production URL under "Webhook URLs".
		await ndv.getByText('Webhook URLs').click();
		await ndv.getByText('Production URL', { exact: true }).click();
		const productionUrl = `${n8n.baseUrl}/webhook/${TRIGGER_WEBHOOK_ID}/callback`;
		const shown = await pollFor(async () => await ndv.innerText(), (text) => text.includes(productionUrl));
		expect(shown).toContain(productionUrl);
		await screenshot('ndv-trigger');
		await closePanel();
	});

	it('shows the credential dialog: a new one with the defaults, and ours tested successfully', async () => {
		await openWorkflow(everyNode);
		const ndv = await openPanel('Get Task', ['taskId']);

		// Ours: n8n tests it on opening (the API's empty task lookup) and says so.
		await ndv.getByTestId('credential-edit-button').click();
		let dialog = page.getByTestId('credential-edit-dialog');
		await dialog.waitFor();
		await dialog.getByTestId('credentials-config-container-test-success').waitFor({ timeout: UI_TIMEOUT_MS });
		await expect(dialog.innerText()).resolves.toMatch(/Connection tested successfully/);
		// The token is masked.
		await expect(dialog.getByTestId('parameter-input-apiToken').locator('input').getAttribute('type')).resolves.toBe('password');
		// Its close button (Escape would close the node panel underneath too).
		await page.locator('.el-dialog').filter({ has: dialog }).getByLabel('Close this dialog').click();
		await dialog.waitFor({ state: 'hidden' });

		// A new one: what a user fills in first.
		await ndv.getByTestId('node-credentials-select').click();
		await page.getByTestId('node-credentials-select-item-new').click();
		dialog = page.getByTestId('credential-edit-dialog');
		await dialog.waitFor();
		for (const field of ['apiToken', 'baseUrl', 'platformBaseUrl']) {
			await dialog.getByTestId(`parameter-input-${field}`).waitFor();
		}
		await eventually(async () =>
			expect(await dialog.getByTestId('parameter-input-baseUrl').locator('input').inputValue()).toBe('https://api.acedata.cloud'),
		);
		await expect(dialog.innerText()).resolves.toMatch(/API Token/);
		await screenshot('credential-new');
		await page.keyboard.press('Escape');
	});

	it('renders every example workflow of examples/ with its nodes known, configured and showing their icons', async () => {
		// The user's OpenAI credential for the AI agent example: selected, never used.
		const openAi = await n8n.createCredential({
			name: 'OpenAI account',
			type: 'openAiApi',
			data: { apiKey: 'not-a-real-key', url: 'https://api.openai.com/v1' },
		});
		const examplesDir = path.join(repoRoot, 'examples');
		const created = new Map<string, CreatedWorkflow>();
		for (const file of readdirSync(examplesDir).filter((name) => name.endsWith('.json')).sort()) {
			const example = JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8')) as WorkflowFixture;
			// As after importing: the user picks their credentials (the examples name them only).
			for (const exampleNode of example.nodes) {
				const references = (exampleNode.credentials ?? {}) as Record<string, unknown>;
				if (references.aceDataCloudApi) references.aceDataCloudApi = { id: credential.id, name: credential.name };
				if (references.openAiApi) references.openAiApi = { id: openAi.id, name: openAi.name };
			}
			const workflow = await n8n.createWorkflow(example);
			created.set(file, workflow);
			await openWorkflow(workflow);
			const shown = example.nodes.filter((exampleNode) => exampleNode.type !== 'n8n-nodes-base.stickyNote');
			for (const exampleNode of shown) {
				const rendered = canvasNode(String(exampleNode.name));
				await rendered.waitFor();
				if (String(exampleNode.type).startsWith(`${PACKAGE_NAME}.`)) await expectOurIcon(rendered);
			}
			// A node n8n does not know, or with a missing credential or parameter, carries a warning mark.
			await expect(page.getByTestId('canvas-node-status-warning').count()).resolves.toBe(0);
			await screenshot(`example-${file.replace(/\.json$/, '')}`);
		}

		// The AI agent's tool: n8n's tool variant of our node, with the description the agent reads.
		const agentExample = created.get('ai-agent-tool.json');
		expect(agentExample).toBeDefined();
		await openWorkflow(agentExample!);
		const toolPanel = await openPanel('Midjourney Edits', ['descriptionType', 'toolDescription', 'imageSource']);
		// Image URL and Prompt show as "Defined automatically by the model", each with its description.
		await eventually(async () => expect(await toolPanel.getByTestId('fromAI-override-field').count()).toBe(2));
		await expect(toolPanel.innerText()).resolves.toMatch(/Defined automatically by the\s+model/);
		// An agent always polls and gets links: n8n hides Output and Wait Mode in the tool variant.
		expect(await toolPanel.getByTestId('parameter-input-waitMode').count()).toBe(0);
		expect(await toolPanel.getByTestId('parameter-input-output').count()).toBe(0);
		await scrollToCentre(toolPanel.getByTestId('parameter-input-imageSource'));
		await screenshot('ndv-ai-tool');
		await closePanel();
	});

	it('raised no uncaught errors in the page', () => {
		// Any uncaught error counts, ours or n8n's: the editor raises none here even though n8n's cloud
		// services are unreachable, and an error of n8n's own may well be caused by our package's data.
		expect(pageErrors).toEqual([]);
	});
});
