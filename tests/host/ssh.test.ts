import { describe, expect, test } from "bun:test";
import { guestPath, inContext, parseEnvAssignments, probeSsh, sshArgv, sshOptions, type SshTarget } from "../../lib/host/ssh.ts";
import { run } from "../../lib/host/run.ts";
import { fakeRunner } from "../_helpers.ts";

const target: SshTarget = {
  host: "192.168.122.10",
  port: 2222,
  user: "cloud-user",
  keyPath: "/data/instances/tiny/id_ed25519",
  knownHostsPath: "/data/instances/tiny/known_hosts",
  hostKeyAlias: "testcloud-tiny",
};

/** The value of every `-o Key=value` option, keyed by Key. */
function options(argv: string[]): Map<string, string> {
  const found = new Map<string, string>();
  argv.forEach((arg, i) => {
    if (arg !== "-o") return;
    const [key, ...value] = (argv[i + 1] ?? "").split("=");
    found.set(key!, value.join("="));
  });
  return found;
}

/** The value following a short flag such as -p. */
function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

describe("sshOptions", () => {
  const argv = sshOptions(target);
  const o = options(argv);

  test("checks host keys strictly against the instance's own known_hosts", () => {
    expect(o.get("StrictHostKeyChecking")).toBe("yes");
    expect(o.get("UserKnownHostsFile")).toBe(target.knownHostsPath);
    expect(o.get("GlobalKnownHostsFile")).toBe("/dev/null");
  });

  test("records the host key under the alias, not the address", () => {
    expect(o.get("HostKeyAlias")).toBe("testcloud-tiny");
  });

  test("offers only the instance's key", () => {
    expect(o.get("IdentitiesOnly")).toBe("yes");
    expect(flag(argv, "-i")).toBe(target.keyPath);
  });

  test("uses the target's port", () => {
    expect(flag(argv, "-p")).toBe("2222");
  });

  test("ignores the user's ssh config", () => {
    expect(flag(argv, "-F")).toBe("/dev/null");
  });
});

describe("sshArgv", () => {
  test("ends with the destination when there is no command", () => {
    const argv = sshArgv(target);
    expect(argv[0]).toBe("ssh");
    expect(argv.at(-1)).toBe("cloud-user@192.168.122.10");
    expect(argv).not.toContain("--");
  });

  test("puts -- between the destination and the command", () => {
    const argv = sshArgv(target, ["uptime"]);
    expect(argv.slice(-3)).toEqual(["cloud-user@192.168.122.10", "--", "uptime"]);
  });

  test("passes a single word on as a shell command line, like plain ssh", () => {
    const argv = sshArgv(target, ["ls -la /tmp | wc -l"]);
    expect(argv.slice(argv.indexOf("--") + 1)).toEqual(["ls -la /tmp | wc -l"]);
  });

  test("quotes several words one by one into one remote command line", () => {
    const argv = sshArgv(target, ["ls", "-la", "/tmp"]);
    expect(argv.slice(argv.indexOf("--") + 1)).toEqual(["ls -la /tmp"]);
  });

  test("several words reach the remote shell as the exact argv", async () => {
    const words = ["printf", "%s\\n", "a b", "it's", "$HOME", "`id`", "*", "", "x;y", "ünï"];
    const remote = sshArgv(target, words).slice(-1)[0]!;
    // The remote side runs the line with `$SHELL -c`; sh shows what arrives.
    const result = await run(["sh", "-c", remote]);
    expect(result.stdout).toBe(words.slice(2).map((w) => `${w}\n`).join(""));
  });

  test("keeps a command that starts with a dash after --, so ssh cannot read it as an option", () => {
    const argv = sshArgv(target, ["-oProxyCommand=evil"]);
    expect(argv.slice(argv.indexOf("--") + 1)).toEqual(["-oProxyCommand=evil"]);
  });

  test("places extra options before the destination", () => {
    const argv = sshArgv(target, ["true"], ["-T"]);
    expect(argv.indexOf("-T")).toBeLessThan(argv.indexOf("cloud-user@192.168.122.10"));
    expect(argv.indexOf("-T")).toBeGreaterThan(argv.indexOf("-F"));
  });
});

describe("probeSsh", () => {
  const authenticated = 'Authenticated to 192.168.122.10 ([192.168.122.10]:2222) using "publickey".\n';

  test("is true once ssh reports the login, and stops ssh there", async () => {
    const run = fakeRunner((_argv, opts) => ({ exitCode: 143, stderr: authenticated, stopped: opts.stopWhen?.(authenticated) }));
    expect(await probeSsh(target, run)).toBe(true);
  });

  test("is false when ssh fails, without throwing", async () => {
    const run = fakeRunner(() => ({ exitCode: 255, stderr: "Connection refused" }));
    expect(await probeSsh(target, run)).toBe(false);
  });

  test("is false when the host key does not match, even though the server answered", async () => {
    const run = fakeRunner(() => ({ exitCode: 255, stderr: "Host key verification failed.\n" }));
    expect(await probeSsh(target, run)).toBe(false);
  });

  test("stops on the login line only, not on earlier verbose output", async () => {
    const run = fakeRunner();
    await probeSsh(target, run);
    const stopWhen = run.calls[0]!.options.stopWhen!;
    expect(stopWhen("Connecting to 192.168.122.10 [192.168.122.10] port 2222.\nServer host key: ssh-ed25519 SHA256:x\n")).toBe(false);
    expect(stopWhen(`Server host key: ssh-ed25519 SHA256:x\n${authenticated}`)).toBe(true);
  });

  test("never prompts, runs no remote command, and gives up on a dead address quickly", async () => {
    const run = fakeRunner();
    await probeSsh(target, run);
    const call = run.calls[0]!;
    expect(options(call.argv).get("BatchMode")).toBe("yes");
    expect(options(call.argv).get("ConnectTimeout")).toBe("3");
    expect(options(call.argv).get("StrictHostKeyChecking")).toBe("yes");
    // ssh keeps the first value of an option: VERBOSE must precede sshOptions' LogLevel=ERROR.
    expect(call.argv.slice(1, 3)).toEqual(["-o", "LogLevel=VERBOSE"]);
    expect(call.argv).toContain("-N");
    expect(call.argv.at(-1)).toBe("cloud-user@192.168.122.10");
    expect(call.options.allowFailure).toBe(true);
    expect(call.options.timeoutMs).toBeGreaterThan(0);
  });

  test("gives ssh the connect timeout it is given (the sshConnectTimeout setting), and itself more time than that", async () => {
    const run = fakeRunner();
    await probeSsh(target, run, 11);
    const call = run.calls[0]!;
    expect(options(call.argv).get("ConnectTimeout")).toBe("11");
    expect(call.options.timeoutMs).toBeGreaterThan(11_000);
  });
});

describe("inContext", () => {
  /** Runs the remote line as the guest's shell would (`$SHELL -c LINE`). */
  const remote = (line: string) => run(["sh", "-c", line], { allowFailure: true });

  test("leaves the command alone without --workdir or --env", () => {
    expect(inContext(["ls", "-la"], {})).toEqual(["ls", "-la"]);
    expect(inContext([], { env: [] })).toEqual([]);
  });

  test("changes directory and exports the variables before a shell line", async () => {
    const [line] = inContext(["pwd; echo \"$A|$B\" | tr a-z A-Z"], { workdir: "/tmp", env: [["A", "x y"], ["B", "it's $HOME `id`"]] });
    const result = await remote(line!);
    expect(result.stdout).toBe("/tmp\nX Y|IT'S $HOME `ID`\n");
  });

  test("several words still arrive as the exact argv", async () => {
    const [line] = inContext(["printf", "%s\\n", "a b", "$A"], { env: [["A", "set"]] });
    expect((await remote(line!)).stdout).toBe("a b\n$A\n");
  });

  test("a working directory that does not exist fails before the command runs", async () => {
    const [line] = inContext(["echo ran"], { workdir: "/nonexistent dir" });
    const result = await remote(line!);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("/nonexistent dir");
  });

  test("a workdir starting with - is not read as an option of cd", () => {
    expect(inContext(["true"], { workdir: "-P" })[0]).toStartWith("cd -- ./-P && ");
  });

  test("without a command it becomes a login shell in that directory with those variables", async () => {
    const [line] = inContext([], { workdir: "/tmp", env: [["GREETING", "hi"]] });
    expect(line).toEndWith('exec "${SHELL:-/bin/sh}" -l');
    const result = await run(["sh", "-c", line!], { stdin: "pwd; echo $GREETING\n", env: { SHELL: "/bin/sh", HOME: "/" } });
    expect(result.stdout).toBe("/tmp\nhi\n");
  });
});

describe("parseEnvAssignments", () => {
  test("splits at the first =; the value may hold anything", () => {
    expect(parseEnvAssignments(["A=1", "_B2=x=y", "C=", "D=a\nb c"])).toEqual([["A", "1"], ["_B2", "x=y"], ["C", ""], ["D", "a\nb c"]]);
  });

  test.each(["A", "=x", "1A=x", "A-B=x", "A B=x", "$(id)=x", "A;B=x"])("refuses %p: not NAME=VALUE with a variable name", (value) => {
    expect(() => parseEnvAssignments([value])).toThrow(expect.objectContaining({ code: "E_USAGE", exitCode: 2 }));
  });
});

describe("guestPath", () => {
  test.each([
    ["", "."],
    [".", "."],
    ["~", "."],
    ["~/a b", "./a b"],
    ["/etc/x", "/etc/x"],
    ["./x", "./x"],
    ["x", "./x"],
    ["-rf", "./-rf"],
    ["~root/x", "./~root/x"],
  ])("%p → %p", (path, expected) => {
    expect(guestPath(path)).toBe(expected);
  });
});
