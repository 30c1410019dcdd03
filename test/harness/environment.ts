/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { Logger } from '@n8n/backend-common';
import { GlobalConfig, InstanceSettingsConfig } from '@n8n/config';
import { Container } from '@n8n/di';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BinaryDataConfig, BinaryDataService, ErrorReporter, InstanceSettings } from 'n8n-core';

import type { BinaryMode } from './types';

/**
 * The process-wide services n8n-core looks up through its DI container (`Container.get(...)`):
 * instance settings (HMAC secret, folders) and the binary data service. Everything lives in one temp
 * dir that is removed when the process exits, so tests never touch ~/.n8n.
 */
interface HarnessEnvironment {
	rootDir: string;
	binaryDataServices: Record<BinaryMode, BinaryDataService>;
}

let environmentPromise: Promise<HarnessEnvironment> | undefined;
let createdRootDir: string | undefined;

function removeRootDir(): void {
	if (createdRootDir) rmSync(createdRootDir, { recursive: true, force: true });
	createdRootDir = undefined;
}

// Jest ends its workers without running 'exit' handlers, so the temp dir goes with the test file's
// afterAll (jest loads this module once per test file, while the file's tests are being collected).
if (typeof afterAll === 'function') afterAll(removeRootDir);
process.once('exit', removeRootDir);

async function createEnvironment(): Promise<HarnessEnvironment> {
	const rootDir = mkdtempSync(path.join(tmpdir(), 'n8n-harness-'));
	createdRootDir = rootDir;

	// A fixed key keeps InstanceSettings from generating one (and logging about it); the settings
	// file it writes lands in our temp dir.
	const instanceSettingsConfig = Object.assign(new InstanceSettingsConfig(), {
		n8nFolder: path.join(rootDir, '.n8n'),
		userHome: rootDir,
		encryptionKey: 'n8n-harness-encryption-key',
		enforceSettingsFilePermissions: false,
	});
	// n8n logs every node error through its logger; the results already carry them. Set
	// N8N_LOG_LEVEL (e.g. debug) to see n8n's own logging while debugging a test.
	if (!process.env.N8N_LOG_LEVEL) Container.get(GlobalConfig).logging.level = 'silent';
	const logger = Container.get(Logger);
	const instanceSettings = new InstanceSettings(instanceSettingsConfig, logger);
	Container.set(InstanceSettings, instanceSettings);

	const errorReporter = Container.get(ErrorReporter);
	const makeService = async (mode: BinaryMode) => {
		const config = Object.assign(Object.create(BinaryDataConfig.prototype) as BinaryDataConfig, {
			mode,
			availableModes: ['filesystem'],
			localStoragePath: path.join(rootDir, 'binary-data'),
			signingSecret: 'n8n-harness-binary-signing-secret',
			dbMaxFileSize: 512,
		});
		const service = new BinaryDataService(config, errorReporter, logger);
		// init() always registers the filesystem store, so either service can READ both kinds of
		// binary data; the mode only decides how new data is stored.
		await service.init();
		return service;
	};
	const binaryDataServices = {
		default: await makeService('default'),
		filesystem: await makeService('filesystem'),
	};
	Container.set(BinaryDataService, binaryDataServices.default);
	return { rootDir, binaryDataServices };
}

export async function getEnvironment(): Promise<HarnessEnvironment> {
	environmentPromise ??= createEnvironment();
	return await environmentPromise;
}

/**
 * n8n-core's helpers fetch the binary data service from the container on every call, so the mode
 * of the run in progress is selected by swapping the container entry. Runs that overlap in time
 * must therefore use the same binary mode.
 */
export async function useBinaryMode(mode: BinaryMode): Promise<BinaryDataService> {
	const { binaryDataServices } = await getEnvironment();
	const service = binaryDataServices[mode];
	Container.set(BinaryDataService, service);
	return service;
}
