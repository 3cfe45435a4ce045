// Preloaded (`node --import`) into the Portkey gateway for the benchmark: Portkey has no host
// option and listens on every interface; this makes any server that would listen on all
// interfaces listen on loopback only, so the benchmark opens no port to the network.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (typeof first === "number" && (args[1] === undefined || typeof args[1] === "function")) {
    const callback = args.find((a) => typeof a === "function");
    return callback ? listen.call(this, first, "127.0.0.1", callback) : listen.call(this, first, "127.0.0.1");
  }
  if (first && typeof first === "object" && "port" in first && !first.host) return listen.call(this, { ...first, host: "127.0.0.1" }, ...args.slice(1));
  return listen.apply(this, args);
};
