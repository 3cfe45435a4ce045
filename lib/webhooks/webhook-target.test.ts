// Which webhook URLs Keel refuses before any connection: every address class that reaches the
// machine, its network or a metadata service, however the address is spelt.
import { describe, expect, it } from "vitest";
import { unsafeAddressReason } from "./safe-address";
import { resolveWebhookTarget, type ResolvedAddress } from "./webhook-target";

const resolvesTo =
  (...addresses: string[]) =>
  async (): Promise<ResolvedAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("unsafeAddressReason", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.254", "private"],
    ["192.168.1.1", "private"],
    ["fd12:3456::1", "private"],
    ["fc00::1", "private"],
    ["169.254.10.10", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["100.64.0.1", "shared address space (CGNAT)"],
    ["100.127.255.255", "shared address space (CGNAT)"],
    ["224.0.0.1", "multicast"],
    ["239.1.2.3", "multicast"],
    ["ff02::1", "multicast"],
    ["169.254.169.254", "cloud metadata"],
    ["fd00:ec2::254", "cloud metadata"],
    // IPv6 spellings of IPv4 addresses reach the IPv4 address.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:c0a8:0101::1", "private"],
    ["255.255.255.255", "reserved"],
  ])("refuses %s (%s)", (address, reason) => {
    expect(unsafeAddressReason(address)).toBe(reason);
  });

  it.each(["93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"])(
    "accepts the public address %s",
    (address) => {
      expect(unsafeAddressReason(address)).toBeNull();
    },
  );
});

describe("resolveWebhookTarget", () => {
  it("refuses the host if ANY of its addresses is unsafe, and connects to a checked one", async () => {
    await expect(resolveWebhookTarget("https://hooks.example.test/x", { resolveHost: resolvesTo("93.184.215.14", "10.0.0.7") })).rejects.toThrow(
      /resolves to 10\.0\.0\.7 \(private\)/,
    );
    await expect(resolveWebhookTarget("https://hooks.example.test/x", { resolveHost: resolvesTo("2606:4700::1", "::1") })).rejects.toThrow(/loopback/);
    const target = await resolveWebhookTarget("https://hooks.example.test/x", { resolveHost: resolvesTo("93.184.215.14", "2606:4700::1") });
    expect(target.address).toEqual({ address: "93.184.215.14", family: 4 });
  });

  it.each([
    ["https://127.0.0.1/hook", /loopback/],
    ["https://2130706433/hook", /loopback/],
    ["https://0x7f.1/hook", /loopback/],
    ["https://[::1]:8443/hook", /loopback/],
    ["https://[::ffff:7f00:1]/hook", /loopback/],
    ["https://169.254.169.254/latest/meta-data/", /cloud metadata/],
    ["https://[fd00:ec2::254]/", /cloud metadata/],
    ["https://metadata.google.internal/computeMetadata/v1/", /metadata service/],
    ["https://localhost/hook", /not this machine/],
    ["https://api.localhost/hook", /not this machine/],
  ])("refuses %s without resolving anything", async (url, message) => {
    const resolveHost = async (): Promise<ResolvedAddress[]> => {
      throw new Error("no name should be resolved here");
    };
    await expect(resolveWebhookTarget(url, { resolveHost })).rejects.toThrow(message);
  });

  it("requires https unless plain http is explicitly allowed, and refuses names that do not resolve", async () => {
    const resolveHost = resolvesTo("93.184.215.14");
    await expect(resolveWebhookTarget("http://hooks.example.test/x", { resolveHost, allowHttp: false })).rejects.toThrow(/https/);
    await expect(resolveWebhookTarget("http://hooks.example.test/x", { resolveHost, allowHttp: true })).resolves.toMatchObject({ address: { family: 4 } });
    await expect(resolveWebhookTarget("ftp://hooks.example.test/x", { resolveHost, allowHttp: true })).rejects.toThrow(/https/);
    await expect(resolveWebhookTarget("https://user:pw@hooks.example.test/x", { resolveHost })).rejects.toThrow(/passwords/);
    await expect(resolveWebhookTarget("https://nowhere.example.test/x", { resolveHost: resolvesTo() })).rejects.toThrow(/could not be resolved/);
  });
});
