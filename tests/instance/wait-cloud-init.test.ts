import { describe, expect, test } from "bun:test";
import { TestcloudError } from "../../lib/errors.ts";
import type { RunResult, Runner } from "../../lib/host/run.ts";
import { instancePaths } from "../../lib/instance/state.ts";
import { waitCloudInit } from "../../lib/instance/wait-instance.ts";
import { testRecord } from "../_machine.ts";

const record = testRecord({ name: "deb" });
const paths = instancePaths("/nonexistent/testcloud", "deb");

/** ssh answers each call with the next of `answers` (the last one again once they run out). */
function sshAnswers(answers: Omit<RunResult, "argv">[]): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (argv: string[]) => {
    calls.push(argv);
    return { argv, ...answers[Math.min(calls.length - 1, answers.length - 1)]! };
  };
  return Object.assign(run, { calls });
}

async function failure(promise: Promise<unknown>): Promise<TestcloudError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TestcloudError);
  return error as TestcloudError;
}

const refused = { exitCode: 255, stdout: "", stderr: "ssh: connect to host 192.168.122.5 port 22: Connection refused\n" };

describe("waitCloudInit", () => {
  test("asks again when sshd was restarting, and returns what cloud-init then says", async () => {
    const run = sshAnswers([refused, { exitCode: 0, stdout: "\nstatus: done\n", stderr: "" }]);
    expect(await waitCloudInit(record, paths, "192.168.122.5", 10_000, run)).toBe("done");
    expect(run.calls).toHaveLength(2);
    expect(run.calls[0]!.at(-1)).toBe("cloud-init status --wait");
  });

  test('"degraded" (exit 2) counts as finished', async () => {
    const run = sshAnswers([{ exitCode: 2, stdout: "status: degraded done\n", stderr: "" }]);
    expect(await waitCloudInit(record, paths, "192.168.122.5", 10_000, run)).toBe("degraded");
  });

  test("cloud-init's own error is E_CLOUD_INIT_FAILED, with its output, at once", async () => {
    const run = sshAnswers([{ exitCode: 1, stdout: "status: error\n", stderr: "" }]);
    const error = await failure(waitCloudInit(record, paths, "192.168.122.5", 10_000, run));
    expect(error).toMatchObject({ code: "E_CLOUD_INIT_FAILED", exitCode: 10, detail: ["status: error"] });
    expect(error.message).toBe('cloud-init failed on "deb": status error');
    expect(run.calls).toHaveLength(1);
  });

  test("an ssh that is refused for good (host key) is ssh's failure, not cloud-init's, and is not retried", async () => {
    const run = sshAnswers([{ exitCode: 255, stdout: "", stderr: "Host key verification failed.\n" }]);
    const error = await failure(waitCloudInit(record, paths, "192.168.122.5", 10_000, run));
    expect(error).toMatchObject({ code: "E_TOOL", exitCode: 7 });
    expect(error.message).toEndWith("exit 255: Host key verification failed.");
    expect(run.calls).toHaveLength(1);
  });

  test("an sshd that never comes back is a timeout naming ssh's last line", async () => {
    const run = sshAnswers([refused]);
    const started = performance.now();
    const error = await failure(waitCloudInit(record, paths, "192.168.122.5", 1500, run));
    expect(error).toMatchObject({ code: "E_TIMEOUT_CLOUD_INIT", detail: ["ssh: connect to host 192.168.122.5 port 22: Connection refused"] });
    // One retry fits into 1.5 s (a pause of 1 s), a second does not.
    expect(run.calls).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
