/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * What the e2e suite and `npm start` run: the pinned n8n (provisioned once into a cache outside the
 * repository by scripts/provision-n8n.sh) and this package packed by `npm pack`, exactly as a user
 * would install it. Nothing here depends on jest, so scripts/ can reuse it.
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const PACKAGE_NAME = 'n8n-nodes-midjourney-edits';

/** The repository, found upwards from this file (which also runs compiled, from node_modules/.cache). */
function findRepoRoot(start: string): string {
	for (let dir = start; ; dir = path.dirname(dir)) {
		const manifest = path.join(dir, 'package.json');
		if (fs.existsSync(manifest)) {
			try {
				if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
			} catch {
				// An unreadable package.json is not ours; keep looking.
			}
		}
		if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${start}`);
	}
}

export const repoRoot = findRepoRoot(__dirname);

export interface ProvisionedN8n {
	/** Folder that holds node_modules/n8n. */
	n8nDir: string;
	/** The Node 24 binary n8n needs (the machine's own Node is 20). */
	nodeBinary: string;
	n8nVersion: string;
	nodeVersion: string;
}

/** One provisioning per n8n version per process ('' = the script's default version). */
const provisioned = new Map<string, Promise<ProvisionedN8n>>();

/**
 * Runs scripts/provision-n8n.sh (idempotent and flock-protected: a warm cache answers in well under a
 * second) and returns where n8n and its Node are. Progress lines go to this process's stderr so a cold
 * install (about 6 minutes) does not look like a hang. Rejects, never skips, when provisioning fails.
 * `n8nVersion` picks another n8n than the pinned default (the script's N8N_VERSION).
 */
export function provisionN8n(n8nVersion?: string): Promise<ProvisionedN8n> {
	const key = n8nVersion ?? '';
	let pending = provisioned.get(key);
	if (!pending) {
		pending = runProvisionScript(n8nVersion);
		provisioned.set(key, pending);
	}
	return pending;
}

function runProvisionScript(n8nVersion?: string): Promise<ProvisionedN8n> {
	const script = path.join(repoRoot, 'scripts', 'provision-n8n.sh');
	const env = { ...process.env };
	if (n8nVersion) env.N8N_VERSION = n8nVersion;
	return new Promise((resolve, reject) => {
		const child = spawn('bash', [script, '--json'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderrTail = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => {
			process.stderr.write(chunk);
			stderrTail = (stderrTail + chunk.toString()).slice(-4000);
		});
		child.on('error', reject);
		child.on('close', (code) => {
			const lastLine = stdout.trim().split('\n').pop() ?? '';
			if (code !== 0) {
				reject(
					new Error(
						`Provisioning n8n failed (scripts/provision-n8n.sh exited with ${code}). ` +
							`Run it by hand to see why and to retry: ${n8nVersion ? `N8N_VERSION=${n8nVersion} ` : ''}bash scripts/provision-n8n.sh\n${stderrTail}`,
					),
				);
				return;
			}
			try {
				const result = JSON.parse(lastLine) as ProvisionedN8n;
				if (!fs.existsSync(path.join(result.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'))) {
					throw new Error(`no n8n binary under ${result.n8nDir}`);
				}
				if (!fs.existsSync(result.nodeBinary)) throw new Error(`no Node binary at ${result.nodeBinary}`);
				resolve(result);
			} catch (error) {
				reject(new Error(`scripts/provision-n8n.sh --json gave an unusable answer (${String(error)}): ${lastLine}`));
			}
		});
	});
}

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newestMtimeMs(entry: string): number {
	if (!fs.existsSync(entry)) return 0;
	const stat = fs.statSync(entry);
	if (!stat.isDirectory()) return stat.mtimeMs;
	let newest = 0;
	for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestMtimeMs(path.join(entry, child)));
	return newest;
}

function listFilesSorted(dir: string): string[] {
	if (!fs.existsSync(dir)) return [];
	const files: string[] = [];
	for (const child of fs.readdirSync(dir).sort()) {
		const full = path.join(dir, child);
		if (fs.statSync(full).isDirectory()) files.push(...listFilesSorted(full));
		else files.push(full);
	}
	return files;
}

/** Inputs of `npm run build`; dist older than any of them is stale. */
const buildInputs = ['nodes', 'credentials', 'index.ts', 'tsconfig.json', 'tsconfig.build.json', 'gulpfile.js'];

/**
 * Builds dist/ when it is missing or older than the sources. `npm run test:e2e` already builds first,
 * so inside that script this is a no-op; it matters when someone runs `jest --selectProjects e2e` alone.
 */
export function ensureBuilt(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
	const distNewest = newestMtimeMs(path.join(repoRoot, 'dist'));
	const sourcesNewest = Math.max(...buildInputs.map((entry) => newestMtimeMs(path.join(repoRoot, entry))));
	const distHasNodes = fs.existsSync(path.join(repoRoot, 'dist', 'nodes'));
	if (distHasNodes && distNewest >= sourcesNewest) return;
	log('[e2e] dist/ is missing or older than the sources: running npm run build');
	const result = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, encoding: 'utf8' });
	if (result.status !== 0) {
		throw new Error(`npm run build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`.slice(-6000));
	}
}

/** Everything `npm pack` puts into the tarball (package.json "files" is ["dist"]). */
function packedInputs(): string[] {
	const rootFiles = fs
		.readdirSync(repoRoot)
		.filter((name) => name === 'package.json' || /^(readme|license|licence|changelog)/i.test(name))
		.map((name) => path.join(repoRoot, name))
		.filter((full) => fs.statSync(full).isFile())
		.sort();
	return [...rootFiles, ...listFilesSorted(path.join(repoRoot, 'dist'))];
}

/**
 * Builds when needed, then `npm pack`s the package into a cache keyed by the hash of what goes into
 * the tarball, so every e2e test file (and every run while nothing changed) shares one pack.
 * `E2E_TARBALL=<file>` tests a given tarball instead (for example a release candidate).
 */
export function packPackage(): string {
	const givenTarball = process.env.E2E_TARBALL;
	if (givenTarball) {
		const resolved = path.resolve(givenTarball);
		if (!fs.existsSync(resolved)) throw new Error(`E2E_TARBALL points at a missing file: ${resolved}`);
		return resolved;
	}
	ensureBuilt();
	const hash = createHash('sha256');
	for (const file of packedInputs()) {
		hash.update(path.relative(repoRoot, file));
		hash.update('\0');
		hash.update(fs.readFileSync(file));
		hash.update('\0');
	}
	const packsRoot = path.join(os.tmpdir(), 'n8n-nodes-midjourney-edits-e2e', 'packs');
	const packDir = path.join(packsRoot, hash.digest('hex').slice(0, 16));
	const existing = fs.existsSync(packDir) ? fs.readdirSync(packDir).find((name) => name.endsWith('.tgz')) : undefined;
	if (existing) return path.join(packDir, existing);

	fs.mkdirSync(packsRoot, { recursive: true });
	const staging = fs.mkdtempSync(path.join(packsRoot, 'staging-'));
	// --ignore-scripts: the build above already ran; prepack would only build again.
	const result = spawnSync('npm', ['pack', '--pack-destination', staging, '--ignore-scripts', '--silent'], {
		cwd: repoRoot,
		encoding: 'utf8',
	});
	if (result.status !== 0) {
		fs.rmSync(staging, { recursive: true, force: true });
		throw new Error(`npm pack failed (exit ${result.status}):\n${result.stderr}`.slice(-4000));
	}
	try {
		// Atomic publish of the finished pack; a concurrent packer that won the race is just as good.
		fs.renameSync(staging, packDir);
	} catch {
		fs.rmSync(staging, { recursive: true, force: true });
	}
	const tarball = fs.readdirSync(packDir).find((name) => name.endsWith('.tgz'));
	if (!tarball) throw new Error(`npm pack produced no .tgz in ${packDir}`);
	return path.join(packDir, tarball);
}
