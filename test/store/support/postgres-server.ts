import { afterAll, beforeAll } from "vitest";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";

/**
 * One throwaway PostgreSQL for the whole test file: started before its first test (handed to
 * `use`) and stopped after its last.
 */
export function postgresForFile(use: (server: TestPostgres) => void): void {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
    use(server);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
}
