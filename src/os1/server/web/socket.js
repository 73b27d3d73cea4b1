// The conversation over the WebSocket at /ws (docs/websocket.md): it reconnects with backoff when the
// connection drops, keeps it alive with pings, and tells its owner what happens through callbacks:
//   ready(message) delta(message) done(message) error(message) remembered(message) renamed(message) dropped()
//   signedOut(reason)
//   status(state)
// where state is {phase: "connecting" | "open" | "waiting" | "closed", reason, seconds}; and for voice, callbacks
// named after the server's messages, "audio.format" "audio.flush" "audio.end" "voice.hearing" "voice.user"
// "voice.reply" (each given the message), and sound(bytes) for a binary frame of the companion's voice.

const RETRY_FIRST_MS = 1000;
const RETRY_MOST_MS = 30000;
const PING_EVERY_MS = 25000;
const SILENT_MOST_MS = 70000; // no word from the server for this long: the connection is dead
const SIGNED_OUT = 4401;
const REFUSED = new Set([4403, 4426]); // trying again would be refused again
const TEXT = ["delta", "done", "error", "remembered", "renamed"];
const VOICE = ["audio.format", "audio.flush", "audio.end", "voice.hearing", "voice.user", "voice.reply"];
const ROUTED = new Set([...TEXT, ...VOICE]); // the messages handed to the callback of the same name

export class Conversation {
  #socket = null;
  #handlers;
  #tries = 0;
  #retry = 0;
  #pinger = 0;
  #heard = 0;
  #ended = false;
  #sent = 0;

  constructor(handlers) {
    this.#handlers = handlers;
  }

  open() {
    clearTimeout(this.#retry);
    this.#ended = false;
    const url = new URL("/ws", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    this.#handlers.status({ phase: "connecting" });
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", (event) => {
      if (socket === this.#socket) this.#lost(event);
    });
  }

  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN && this.#heard > 0;
  }

  /** Say something; returns the reply's id, or null when the conversation is not open. */
  say(text) {
    return this.#ask("say", { text });
  }

  /** The user paused while writing `text`: the companion looks up what it remembers about it already. */
  typing(text) {
    this.send({ type: "typing", text });
  }

  /** Ask for a greeting (the companion decides whether one is due). */
  greet() {
    return this.#ask("greet", {});
  }

  cancel(id) {
    this.send({ type: "cancel", id });
  }

  /** Send a message (an object, as JSON) or sound (an ArrayBuffer, as a binary frame); false when not open. */
  send(message) {
    if (!this.isOpen) return false;
    this.#socket.send(message instanceof ArrayBuffer ? message : JSON.stringify(message));
    return true;
  }

  /** Try again now instead of waiting out the backoff. */
  retryNow() {
    if (!this.#ended && this.#socket?.readyState === WebSocket.CLOSED) this.open();
  }

  close() {
    this.#ended = true;
    clearTimeout(this.#retry);
    clearInterval(this.#pinger);
    this.#socket?.close(1000, "bye");
  }

  #ask(type, fields) {
    this.#sent += 1;
    const id = `${type}-${Date.now().toString(36)}-${this.#sent}`;
    return this.send({ type, id, ...fields }) ? id : null;
  }

  #receive(data) {
    this.#heard = Date.now();
    if (data instanceof ArrayBuffer) {
      this.#handlers.sound(data);
      return;
    }
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "ready") {
      this.#tries = 0;
      clearInterval(this.#pinger);
      this.#pinger = setInterval(() => this.#ping(), PING_EVERY_MS);
      this.#handlers.status({ phase: "open" });
      this.#handlers.ready(message);
    } else if (ROUTED.has(message.type)) {
      this.#handlers[message.type](message);
    }
  }

  #ping() {
    if (Date.now() - this.#heard > SILENT_MOST_MS) this.#socket.close(4000, "no answer to ping");
    else if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify({ type: "ping" }));
  }

  #lost(event) {
    clearInterval(this.#pinger);
    this.#heard = 0;
    this.#handlers.dropped();
    if (this.#ended) return;
    const reason = event.code === 1000 || event.code === 1001 ? "" : event.reason;
    if (event.code === SIGNED_OUT) {
      this.#handlers.signedOut(reason);
    } else if (REFUSED.has(event.code)) {
      this.#handlers.status({ phase: "closed", reason });
    } else {
      const wait = Math.min(RETRY_MOST_MS, RETRY_FIRST_MS * 2 ** this.#tries) * (0.8 + Math.random() * 0.4);
      this.#tries += 1;
      this.#handlers.status({ phase: "waiting", reason, seconds: Math.max(1, Math.round(wait / 1000)) });
      this.#retry = setTimeout(() => this.open(), wait);
    }
  }
}
