import { WebSocket } from "ws";
import { SpineClient } from "./src/index.ts";
const c = new SpineClient("ws://127.0.0.1:8765/ws", { WebSocket: WebSocket as never, encoding: "msgpack", subscribe: { columns: true } });
await c.connect();
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, 4000));
const cpu = process.cpuUsage(cpu0);
console.log({ cpuMs: (cpu.user + cpu.system) / 1000 });
c.close();
