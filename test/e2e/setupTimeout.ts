// Real n8n runs take minutes (start-up, installs, edits with poll intervals).
jest.setTimeout(600_000);
