/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Private Redis and PostgreSQL servers for the queue-mode e2e suite: each on a free loopback port,
 * in its own temp folder, without persistence, stopped and removed by stop(). They come from Debian
 * packages (scripts/e2e-system-deps.sh installs them); when they are missing the suite fails with the
 * command that installs them instead of skipping. Nothing here depends on jest.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { getFreePort } from './n8nInstance';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MissingSystemDependencyError extends Error {
	constructor(what: string) {
		super(
			`${what} is not installed, and the queue-mode e2e suite needs it. Install it with ` +
				'`bash scripts/e2e-system-deps.sh` (Debian packages redis-server and postgresql; needs root), then run the suite again.',
		);
		this.name = 'MissingSystemDependencyError';
	}
}

/** A server process this suite started: its output, and a stop() that ends it and removes its folder. */
abstract class OwnedServer {
	protected output = '';
	protected exited = false;
	private stopping: Promise<void> | undefined;
	private readonly exitHook = () => this.killNow();

	constructor(
		protected readonly child: ChildProcess,
		readonly folder: string,
		private readonly keepFolder: boolean,
	) {
		const capture = (chunk: Buffer) => {
			// Keep the tail only: enough to explain a failure.
			this.output = (this.output + chunk.toString()).slice(-20_000);
		};
		child.stdout?.on('data', capture);
		child.stderr?.on('data', capture);
		child.on('close', () => (this.exited = true));
		process.once('exit', this.exitHook);
	}

	logText(): string {
		return this.output;
	}

	private killNow(): void {
		if (this.exited || this.child.pid === undefined) return;
		try {
			process.kill(this.child.pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}

	/** The signal that shuts this server down cleanly and quickly. */
	protected abstract readonly stopSignal: NodeJS.Signals;

	stop(): Promise<void> {
		this.stopping ??= this.stopOnce();
		return this.stopping;
	}

	private async stopOnce(): Promise<void> {
		process.removeListener('exit', this.exitHook);
		if (!this.exited && this.child.pid !== undefined) {
			const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
			try {
				process.kill(this.child.pid, this.stopSignal);
			} catch {
				// Already gone.
			}
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
			clearTimeout(timer);
			this.killNow();
		}
		if (!this.keepFolder) fs.rmSync(this.folder, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

export function findRedisServer(): string {
	for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
		if (fs.existsSync(candidate)) return candidate;
	}
	const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
	const found = which.stdout.trim();
	if (which.status === 0 && found) return found;
	throw new MissingSystemDependencyError('Redis (redis-server)');
}

/** Answers true once the server replies +PONG to PING. */
async function redisAnswersPing(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		let reply = '';
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.on('error', () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => {
			reply += chunk.toString();
			if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
		});
	});
}

export class RedisServer extends OwnedServer {
	protected readonly stopSignal = 'SIGTERM';

	private constructor(
		child: ChildProcess,
		folder: string,
		keepFolder: boolean,
		readonly port: number,
	) {
		super(child, folder, keepFolder);
	}

	/** Starts redis-server on 127.0.0.1 with no persistence (no RDB snapshots, no AOF). */
	static async start(options: { keep?: boolean } = {}): Promise<RedisServer> {
		const binary = findRedisServer();
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-redis-'));
		const port = await getFreePort();
		const child = spawn(
			binary,
			[
				'--port', String(port),
				'--bind', '127.0.0.1',
				'--dir', folder,
				'--save', '',
				'--appendonly', 'no',
				'--daemonize', 'no',
				'--protected-mode', 'yes',
				'--loglevel', 'warning',
			],
			{ cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] },
		);
		const server = new RedisServer(child, folder, options.keep ?? false, port);
		const deadline = Date.now() + 20_000;
		while (!(await redisAnswersPing(port))) {
			if (server.exited || Date.now() > deadline) {
				const log = server.logText();
				await server.stop();
				throw new Error(`redis-server did not start on port ${port}:\n${log}`);
			}
			await sleep(100);
		}
		return server;
	}
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

/** Debian keeps PostgreSQL's server programs in /usr/lib/postgresql/<major>/bin, outside PATH. */
export function findPostgresBinDir(): string {
	const root = '/usr/lib/postgresql';
	const majors = fs.existsSync(root)
		? fs
				.readdirSync(root)
				.filter((name) => /^\d+$/.test(name))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	for (const major of majors) {
		const dir = path.join(root, major, 'bin');
		if (['initdb', 'postgres', 'createdb', 'psql'].every((program) => fs.existsSync(path.join(dir, program)))) return dir;
	}
	throw new MissingSystemDependencyError('PostgreSQL (initdb, postgres)');
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user (or nobody). */
function unprivilegedUser(): { uid: number; gid: number; name: string } | undefined {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
	const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n');
	for (const name of ['postgres', 'nobody']) {
		const entry = passwd.find((line) => line.startsWith(`${name}:`));
		if (entry) {
			const [, , uid, gid] = entry.split(':');
			return { uid: Number(uid), gid: Number(gid), name };
		}
	}
	throw new Error('running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as');
}

function chownRecursive(target: string, uid: number, gid: number): void {
	fs.chownSync(target, uid, gid);
	if (fs.statSync(target).isDirectory()) {
		for (const child of fs.readdirSync(target)) chownRecursive(path.join(target, child), uid, gid);
	}
}

export interface PostgresConnection {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
}

export class PostgresServer extends OwnedServer {
	// SIGINT is PostgreSQL's "fast shutdown": ends sessions and stops at once.
	protected readonly stopSignal = 'SIGINT';

	private constructor(
		child: ChildProcess,
		folder: string,
		keepFolder: boolean,
		readonly connection: PostgresConnection,
	) {
		super(child, folder, keepFolder);
	}

	/** Runs one SQL statement with psql; returns the rows, one line each, columns separated by '|'. */
	query(sql: string): string[] {
		const { host, port, user, password, database } = this.connection;
		const result = spawnSync(
			path.join(findPostgresBinDir(), 'psql'),
			['-h', host, '-p', String(port), '-U', user, '-d', database, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql],
			{ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: password }, encoding: 'utf8' },
		);
		if (result.status !== 0) throw new Error(`psql failed (exit ${result.status}): ${result.stderr}`.slice(0, 2000));
		return result.stdout.split('\n').filter((line) => line !== '');
	}

	/** n8n's database settings for this server. */
	n8nEnvironment(): Record<string, string> {
		return {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: this.connection.host,
			DB_POSTGRESDB_PORT: String(this.connection.port),
			DB_POSTGRESDB_DATABASE: this.connection.database,
			DB_POSTGRESDB_USER: this.connection.user,
			DB_POSTGRESDB_PASSWORD: this.connection.password,
		};
	}

	/**
	 * initdb into a temp folder, start `postgres` on a free loopback port (durability off: fsync,
	 * synchronous commit and full-page writes are pointless for a throw-away test database), create
	 * the database n8n uses. Password authentication, as n8n is configured in production.
	 */
	static async start(options: { keep?: boolean; database?: string } = {}): Promise<PostgresServer> {
		const binDir = findPostgresBinDir();
		const owner = unprivilegedUser();
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-postgres-'));
		const dataDir = path.join(folder, 'data');
		const passwordFile = path.join(folder, 'password');
		const connection: PostgresConnection = {
			host: '127.0.0.1',
			port: await getFreePort(),
			user: 'n8n',
			password: `e2e-${Math.random().toString(36).slice(2, 12)}`,
			database: options.database ?? 'n8n',
		};
		fs.writeFileSync(passwordFile, `${connection.password}\n`);
		if (owner) chownRecursive(folder, owner.uid, owner.gid);
		const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
		// The programs must not inherit a root HOME or locale they cannot read.
		const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: folder };

		const initdb = spawnSync(
			path.join(binDir, 'initdb'),
			['-D', dataDir, '-U', connection.user, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'],
			{ cwd: folder, env, encoding: 'utf8', ...asOwner },
		);
		if (initdb.status !== 0) {
			fs.rmSync(folder, { recursive: true, force: true });
			throw new Error(`initdb failed (exit ${initdb.status}${owner ? `, as user ${owner.name}` : ''}):\n${initdb.stdout}\n${initdb.stderr}`.slice(-4000));
		}

		const child = spawn(
			path.join(binDir, 'postgres'),
			[
				'-D', dataDir,
				'-p', String(connection.port),
				'-c', 'listen_addresses=127.0.0.1',
				'-c', `unix_socket_directories=${folder}`,
				'-c', 'fsync=off',
				'-c', 'synchronous_commit=off',
				'-c', 'full_page_writes=off',
				'-c', 'max_connections=200',
			],
			{ cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'], ...asOwner },
		);
		const server = new PostgresServer(child, folder, options.keep ?? false, connection);
		const deadline = Date.now() + 30_000;
		while (!/ready to accept connections/.test(server.logText())) {
			if (server.exited || Date.now() > deadline) {
				const log = server.logText();
				await server.stop();
				throw new Error(`PostgreSQL did not start on port ${connection.port}:\n${log}`);
			}
			await sleep(100);
		}

		const createdb = spawnSync(
			path.join(binDir, 'createdb'),
			['-h', connection.host, '-p', String(connection.port), '-U', connection.user, connection.database],
			{ env: { ...env, PGPASSWORD: connection.password }, encoding: 'utf8' },
		);
		if (createdb.status !== 0) {
			await server.stop();
			throw new Error(`createdb ${connection.database} failed (exit ${createdb.status}):\n${createdb.stderr}`.slice(-4000));
		}
		return server;
	}
}
