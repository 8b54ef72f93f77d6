// The baseline of `./x bench`: a minimal Socket.IO 4.8 relay with no persistence and no
// checks. A visitor emits `hello` and gets `welcome`; a pair's visitor and agent join room
// `p<N>`; `msg` from one side is emitted to the other side of the room. Prints
// `listening <port>` on stdout once bound (127.0.0.1, port 0 = any free port).
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false });
let nextId = 1;
io.on("connection", (socket) => {
  socket.on("hello", (h) => {
    const id = nextId++;
    if (h && h.pair !== undefined) {
      socket.data.room = `p${h.pair}`;
      socket.data.role = h.role;
      socket.join(socket.data.room);
    }
    socket.emit("welcome", { visitor_id: String(id) });
  });
  socket.on("msg", (m) => {
    if (socket.data.room) socket.to(socket.data.room).emit("msg", m);
  });
});
http.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`listening ${http.address().port}`);
});
