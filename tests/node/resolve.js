// Preloaded with `node --require`: the vendor host names in
// STRATUS_TEST_RESOLVE ("host=port,...") connect to 127.0.0.1:port, in this
// process only (the test's resolver; the machine's hosts file is untouched).
// The TLS server name stays the vendor's, so the certificate is checked
// against it.
const tls = require("tls");
const map = Object.fromEntries(
  (process.env.STRATUS_TEST_RESOLVE || "").split(",").filter(Boolean).map((e) => e.split("=")),
);
const connect = tls.connect;
tls.connect = function (...args) {
  const options = args[0];
  if (options && typeof options === "object" && map[options.host]) {
    args[0] = { ...options, servername: options.servername || options.host, host: "127.0.0.1", port: Number(map[options.host]) };
  }
  return connect.apply(this, args);
};
