// Bindings of one kind that cannot all hold at once, found among the specs of a create of all
// bindings once Terraform has resolved every value: two virtual IP bindings on one NIC (the ECS
// unbind request cannot name a virtual IP, so each would unbind the other), two associations of one
// elastic IP (each would take it from the other's port), or two of one port (a port holds one
// elastic IP). Synthesis refuses these when the IDs are literals (lib/binding-support.ts); an ID
// that comes from a variable or another resource's attribute is known only here.
//
// Only the bindings in conflict fail, before anything is sent for them: the others are independent,
// and a create of all bindings never lets one binding's failure stop another. Which of two bindings
// the user meant cannot be known, so neither is bound.
import type { BindingJob } from "./input";

const CONSTRUCT = { "virtual-ip": "VirtualIpBinding", eip: "EipAssociation" } as const;
/** Keys named in one message; a longer list ends with "and N more". */
const KEYS_SHOWN = 5;

interface Claim {
  /** The spec field, as the construct's config names it. */
  readonly field: string;
  /** What two bindings sharing it would both do, e.g. "bind a virtual IP to NIC <id>". */
  readonly what: (id: string) => string;
  /** Why they cannot. */
  readonly why: string;
  readonly id: (binding: BindingJob) => string;
}

const CLAIMS: Record<BindingJob["kind"], readonly Claim[]> = {
  "virtual-ip": [
    {
      field: "nicId",
      what: (id) => `bind a virtual IP to NIC ${id}`,
      why: "the cloud's unbind request cannot name a virtual IP, so two bindings on one NIC would unbind each other",
      id: (b) => (b.kind === "virtual-ip" ? b.spec.nicId : ""),
    },
  ],
  eip: [
    {
      field: "publicipId",
      what: (id) => `associate EIP ${id}`,
      why: "an elastic IP is bound to one port at a time, so each would take it from the other's port",
      id: (b) => (b.kind === "eip" ? b.spec.publicipId : ""),
    },
    {
      field: "portId",
      what: (id) => `bind an elastic IP to port ${id}`,
      why: "a port holds one elastic IP, so each would take the port from the other",
      id: (b) => (b.kind === "eip" ? b.spec.portId : ""),
    },
  ],
};

function keyList(keys: readonly string[]): string {
  const quoted = keys.map((k) => JSON.stringify(k));
  const shown = quoted.length > KEYS_SHOWN ? [...quoted.slice(0, KEYS_SHOWN), `${quoted.length - KEYS_SHOWN} more`] : quoted;
  return shown.length === 2 ? `${shown[0]} and ${shown[1]}` : `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/**
 * For each binding (by its index in `bindings`) that shares a NIC, an elastic IP or a port with
 * another, why it is refused: a message naming every key involved, the shared ID and the fix.
 * Empty when there is no conflict.
 */
export function conflictsIn(bindings: readonly BindingJob[]): Map<number, string> {
  const refused = new Map<number, string[]>();
  if (bindings.length < 2) {
    return new Map();
  }
  const construct = CONSTRUCT[bindings[0].kind];
  for (const claim of CLAIMS[bindings[0].kind]) {
    const holders = new Map<string, number[]>();
    bindings.forEach((binding, index) => {
      const id = claim.id(binding).toLowerCase();
      holders.set(id, [...(holders.get(id) ?? []), index]);
    });
    for (const indexes of holders.values()) {
      if (indexes.length < 2) continue;
      const keys = indexes.map((i) => bindings[i].key);
      const id = claim.id(bindings[indexes[0]]);
      const message =
        `${construct}s ${keyList(keys)} ${keys.length === 2 ? "both" : "all"} ${claim.what(id)} (${claim.field}): ${claim.why}. ` +
        `Nothing was sent to the cloud for ${keys.length === 2 ? "either" : "any"} of them (one bound by an earlier deploy stays as it is). Synthesis could not see this because the ` +
        `${claim.field} of at least one of them is known only at apply time (a variable, or another resource's ` +
        `attribute): give each binding its own ${claim.field}, or remove all but one, and deploy again.`;
      for (const index of indexes) {
        refused.set(index, [...(refused.get(index) ?? []), message]);
      }
    }
  }
  return new Map([...refused].map(([index, messages]) => [index, messages.join(" Also: ")]));
}
