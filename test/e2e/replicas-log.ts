/**
 * Reading the replicas' lease logs (src/controller/lease-manager.ts writes them on serve's
 * stderr: `<ISO time> [<replica>] reconcile begin|end <Kind/ns/name> token=<n>`, `lease acquired
 * <key> token=<n>`), and the proof drawn from them: per object, no two replicas' reconciles
 * overlap in time, and fencing tokens only grow from one reconcile to the next.
 */
export interface LeaseLine {
  at: number;
  replica: string;
  event: "begin" | "end" | "acquired";
  key: string;
  token: number;
}

const LINE = /^(\S+Z) \[([^\]]+)\] (?:reconcile (begin|end)|lease (acquired)) (\S+) token=(\d+)/;

export function parseLeaseLog(output: string): LeaseLine[] {
  const out: LeaseLine[] = [];
  for (const line of output.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    out.push({
      at: Date.parse(m[1]!),
      replica: m[2]!,
      event: (m[3] ?? m[4]) as LeaseLine["event"],
      key: m[5]!,
      token: Number(m[6]),
    });
  }
  return out;
}

interface Run {
  replica: string;
  token: number;
  from: number;
  to: number;
}

/**
 * Problems found, in words (none: the proof holds). A reconcile the killed replica began and never
 * ended ran until `killedAt`.
 */
export function checkLeaseLog(lines: readonly LeaseLine[], killedAt: number): string[] {
  const runs = new Map<string, Run[]>();
  const open = new Map<string, LeaseLine>();
  for (const l of [...lines].sort((a, b) => a.at - b.at)) {
    const id = `${l.replica} ${l.key}`;
    if (l.event === "begin") open.set(id, l);
    if (l.event !== "end") continue;
    const b = open.get(id);
    open.delete(id);
    if (!b) continue;
    const list = runs.get(l.key) ?? [];
    list.push({ replica: l.replica, token: b.token, from: b.at, to: l.at });
    runs.set(l.key, list);
  }
  for (const b of open.values()) {
    const list = runs.get(b.key) ?? [];
    list.push({ replica: b.replica, token: b.token, from: b.at, to: killedAt });
    runs.set(b.key, list);
  }
  const problems: string[] = [];
  for (const [key, list] of runs) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.replica !== prev.replica && cur.from < prev.to) {
        problems.push(
          `${key}: ${cur.replica} began at ${cur.from} while ${prev.replica} ran until ${prev.to}`,
        );
      }
      if (cur.token < prev.token) problems.push(`${key}: token went back from ${prev.token} to ${cur.token}`);
      if (cur.replica !== prev.replica && cur.token === prev.token) {
        problems.push(`${key}: ${prev.replica} and ${cur.replica} ran under the same token ${cur.token}`);
      }
    }
  }
  return problems;
}

/** When a survivor first acquired a key `dead` had held, after `killedAt`. */
export function firstTakeover(
  lines: readonly LeaseLine[],
  dead: string,
  killedAt: number,
): number | undefined {
  const held = new Set(lines.filter((l) => l.replica === dead && l.event === "acquired").map((l) => l.key));
  return lines
    .filter((l) => l.event === "acquired" && l.replica !== dead && l.at >= killedAt && held.has(l.key))
    .map((l) => l.at)
    .sort((a, b) => a - b)[0];
}
