/** Two projects: `unit` (fast, in-process, runs the node through n8n-core against the fake API)
 * and `e2e` (the packed package inside a real n8n; slow, needs the provisioned n8n). */
const common = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
	projects: [
		{
			...common,
			displayName: 'unit',
			testMatch: ['<rootDir>/test/**/*.test.ts'],
			testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
		},
		{
			...common,
			displayName: 'e2e',
			testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
			// testTimeout is not a per-project option; the e2e project sets it in a setup file.
			setupFilesAfterEnv: ['<rootDir>/test/e2e/setupTimeout.ts'],
		},
	],
};
