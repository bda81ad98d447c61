// Lighthouse and CVM through the official Node SDK with its default TC3
// signing and its default host names over HTTPS: regions, a new instance
// until it runs, a reboot, CVM zones. Prints one JSON line of what it saw;
// exits non-zero on any failure.
const tencentcloud = require("tencentcloud-sdk-nodejs");

const credential = { secretId: process.env.TENCENTCLOUD_SECRET_ID, secretKey: process.env.TENCENTCLOUD_SECRET_KEY };
const lighthouse = new tencentcloud.lighthouse.v20200324.Client({ credential, region: "ap-guangzhou" });
const cvm = new tencentcloud.cvm.v20170312.Client({ credential, region: "ap-guangzhou" });

async function until(what, check) {
  for (let i = 0; i < 400; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function state(id) {
  const page = await lighthouse.DescribeInstances({ InstanceIds: [id] });
  return page.InstanceSet[0];
}

(async () => {
  const regions = await lighthouse.DescribeRegions({});
  const created = await lighthouse.CreateInstances({
    BundleId: "bundle_gen_01",
    BlueprintId: "lhbp-c76k3m2a",
    InstanceChargePrepaid: { Period: 1 },
    LoginConfiguration: { AutoGeneratePassword: "NO", Password: "Node1Passw0rd!" },
  });
  const id = created.InstanceIdSet[0];
  await until(`${id} to run`, async () => (await state(id)).InstanceState === "RUNNING");
  await lighthouse.RebootInstances({ InstanceIds: [id] });
  const rebooted = await until(`${id} to reboot`, async () => {
    const i = await state(id);
    return i.LatestOperation === "RebootInstances" && i.LatestOperationState === "SUCCESS" ? i : null;
  });
  const zones = await cvm.DescribeZones({});
  let refused = null;
  try {
    await lighthouse.StartInstances({ InstanceIds: ["lhins-00000000"] });
  } catch (e) {
    refused = e.code;
  }
  console.log(JSON.stringify({
    regions: regions.RegionSet.map((r) => r.Region),
    instance: id,
    state: rebooted.InstanceState,
    cvmZones: zones.ZoneSet.length,
    refused,
  }));
})().catch((e) => {
  console.error(e && (e.stack || e));
  process.exit(1);
});
