// Talking with the companion: the conversation so far (older parts loaded on request), replies streamed in
// as they are written, a stop button while one is, and the connection's state when it is not open. The
// microphone button talks out loud instead (voice.js): what is heard and said is written in the same log.

import { get, query, sentence } from "../api.js";
import { growing, h, submitOnEnter } from "../dom.js";
import { dayKey, dayName, moment } from "../format.js";
import { Conversation } from "../socket.js";
import { Voice } from "../voice.js";

const PAGE = 50;
const NEAR_BOTTOM_PX = 120;
const HEADPHONES = "os1.headphones-suggested";
const TYPING_PAUSE_MS = 400; // a pause this long in the typing hands the draft over (a "typing" message)

export function chatView(root, app) {
  let name = app.state.companion.name;
  const log = h("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": `Conversation with ${name}` });
  const earlier = h("button", { type: "button", class: "quiet earlier", hidden: true, text: "Earlier conversation" });
  const scroller = h(
    "div",
    { class: "scroller" },
    h("h1", { class: "visually-hidden", text: `Talk with ${name}` }),
    earlier,
    log,
  );
  const status = h("p", { class: "connection", role: "status" });
  const message = h("textarea", {
    id: "message",
    rows: 1,
    maxlength: 8000,
    placeholder: `Say something to ${name}…`,
    autocomplete: "off",
  });
  const stop = h("button", { type: "button", class: "quiet stop", hidden: true, text: "Stop" });
  const mic = h(
    "button",
    { type: "button", class: "quiet mic", "aria-pressed": "false", "aria-label": "Talk out loud", disabled: true },
    h("span", { class: "mic-icon", "aria-hidden": "true" }),
  );
  const listening = h("p", { class: "listening", role: "status" });
  const send = h("button", { type: "submit", class: "primary send", text: "Send", disabled: true });
  const composer = h(
    "form",
    { class: "composer" },
    h("label", { for: "message", class: "visually-hidden", text: `Message to ${name}` }),
    message,
    stop,
    mic,
    send,
  );
  root.append(h("section", { class: "chat" }, scroller, h("div", { class: "dock" }, status, listening, composer)));
  const fit = growing(message);
  submitOnEnter(message);
  if (app.state.draft) {
    message.value = app.state.draft; // what the user said of its name, not about the name: theirs to send
    app.state.draft = null;
    fit();
  }

  const replies = new Map(); // id -> {item, words} of replies still being written
  let oldest = null; // the id of the oldest turn shown
  let lastDay = null; // the day of the newest turn shown
  let wasOpen = false; // the conversation was open once: say so while it reconnects
  let hearing = null; // {item, words}: the user's words while they speak, until they are their turn
  let spoken = null; // {item, words, flushed}: the reply being spoken, and whether the user spoke over it
  let left = false;
  let greeting = null; // the id of the greeting asked for, until its answer (empty when none was due) is done

  // -- the conversation so far -------------------------------------------------------------------------

  function turnItem(speaker, text, { at = new Date().toISOString(), interrupted = false, forgotten = false } = {}) {
    const words = h("p", { class: "words" });
    if (forgotten) words.append(h("em", { class: "faint", text: "This message was forgotten." }));
    else words.textContent = text;
    const item = h(
      "li",
      { class: `turn from-${speaker === "user" ? "user" : "companion"}`, title: moment(at), "data-day": dayKey(at) },
      speaker === "user" ? null : h("p", { class: "who", text: name }),
      words,
    );
    if (interrupted) item.append(cutOff());
    return { item, words };
  }

  function dayItem(at) {
    return h("li", { class: "day", "data-day": dayKey(at) }, h("span", { text: dayName(at) }));
  }

  function append(item, at = new Date().toISOString()) {
    const stick = nearBottom();
    if (dayKey(at) !== lastDay) {
      log.append(dayItem(at));
      lastDay = dayKey(at);
    }
    log.append(item);
    if (stick) toBottom();
  }

  async function loadEarlier() {
    earlier.disabled = true;
    try {
      const page = await get(`/api/transcript${query({ before: oldest, limit: PAGE })}`);
      const first = oldest === null;
      const part = document.createDocumentFragment();
      let day = null;
      for (const turn of page.turns) {
        if (dayKey(turn.at) !== day) {
          part.append(dayItem(turn.at));
          day = dayKey(turn.at);
        }
        part.append(turnItem(turn.speaker, turn.text, turn).item);
      }
      if (page.turns.length) {
        oldest = page.turns[0].id;
        if (first) lastDay = day;
        const top = log.firstElementChild;
        if (top?.classList.contains("day") && top.dataset.day === day) top.remove(); // the same day continues
      }
      const height = scroller.scrollHeight;
      log.prepend(part);
      scroller.scrollTop += first ? scroller.scrollHeight : scroller.scrollHeight - height;
      earlier.hidden = !page.more;
    } catch (error) {
      note(error.message);
    } finally {
      earlier.disabled = false;
    }
  }
  earlier.addEventListener("click", loadEarlier);

  // -- talking ------------------------------------------------------------------------------------------

  function reply(id) {
    let found = replies.get(id);
    if (!found) {
      found = turnItem("assistant", "");
      found.item.classList.add("pending");
      found.words.append(h("span", { class: "thinking", "aria-label": `${name} is thinking` }, h("i"), h("i"), h("i")));
      replies.set(id, found);
      append(found.item);
      log.setAttribute("aria-busy", "true");
      stop.hidden = false;
    }
    return found;
  }

  function finish(id) {
    replies.delete(id);
    if (!replies.size) {
      log.removeAttribute("aria-busy");
      stop.hidden = true;
    }
  }

  function note(text) {
    append(h("li", { class: "note", text }));
  }

  const conversation = new Conversation({
    ready() {
      greeting = conversation.greet();
    },
    delta({ id, text }) {
      const found = reply(id);
      const stick = nearBottom();
      if (found.item.classList.contains("pending")) {
        found.item.classList.remove("pending");
        found.words.textContent = "";
      }
      found.words.append(text);
      if (stick) toBottom();
    },
    done({ id, text, interrupted }) {
      if (id === greeting) greeting = null;
      const found = replies.get(id);
      if (!text && !found) return; // no greeting was due
      const { item, words } = found ?? reply(id);
      item.classList.remove("pending");
      if (text) words.textContent = text;
      else if (!interrupted) item.remove();
      if (interrupted) {
        if (!text) words.textContent = "";
        item.append(cutOff());
      }
      finish(id);
    },
    error({ id, code, message: said, retry_after: retryAfter }) {
      if (id === greeting) greeting = null;
      if (id === null && voice.mic !== "off") {
        voice.ended(); // the answer to "audio.start": no voice session
        note(`${sentence(said)} You can still type to ${name}.`);
        return;
      }
      const found = replies.get(id);
      if (found) found.item.remove();
      finish(id);
      const why = sentence(said);
      if (code === "rate_limited") note(retryAfter ? `${why} Try again in ${Math.ceil(retryAfter)} s.` : why);
      else if (code === "unavailable") note(`${name} can't answer just now. ${why} Say it again in a moment.`);
      else note(why);
    },
    renamed({ name: chosen, why }) {
      // the user asked for another name in words: the reply said it; the page calls it that from now on
      name = chosen;
      app.meet({ ...app.state.companion, name: chosen, why });
      message.placeholder = `Say something to ${name}…`;
      log.setAttribute("aria-label", `Conversation with ${name}`);
    },
    remembered() {
      append(
        h("li", { class: "note" }, `${name} will remember that. `, h("a", { href: "#/memory", text: "See what" })),
      );
    },
    "audio.format"(format) {
      voice.format(format);
    },
    sound(data) {
      voice.play(data);
      if (spoken) spoken.flushed = false; // (it goes on: what was said over it was only an "mm-hm")
      unheard();
    },
    "audio.flush"() {
      voice.flush();
      if (spoken) spoken.flushed = true;
    },
    "audio.end"() {
      voice.ended();
      unheard();
      spoken = null;
    },
    "voice.hearing"({ text }) {
      if (!text.trim()) {
        unheard();
        return;
      }
      if (!hearing) {
        hearing = turnItem("user", "");
        hearing.item.classList.add("hearing");
        hearing.item.setAttribute("aria-hidden", "true"); // read out once, as the turn it becomes
      }
      hearing.words.textContent = text;
      if (log.lastElementChild !== hearing.item) append(hearing.item);
    },
    "voice.user"({ text }) {
      if (spoken?.flushed) spoken.item.append(cutOff());
      spoken = null;
      unheard();
      append(turnItem("user", text).item);
    },
    "voice.reply"({ text }) {
      if (!spoken) {
        spoken = { ...turnItem("assistant", ""), flushed: false };
        append(spoken.item);
      }
      const stick = nearBottom();
      spoken.words.append(spoken.words.textContent ? ` ${text}` : text);
      if (stick) toBottom();
    },
    dropped() {
      if (voice.mic !== "off") note("The connection dropped, so the microphone is off.");
      voice.dropped();
      unheard();
      spoken = null;
      let unanswered = false;
      for (const [id, { item }] of replies) {
        unanswered ||= item.classList.contains("pending");
        if (item.classList.contains("pending")) item.remove();
        else item.append(cutOff());
        finish(id);
      }
      if (unanswered) note(`The connection dropped before ${name} could answer.`);
    },
    signedOut(reason) {
      app.signedOut(sentence(reason) || "Sign in again to carry on.");
    },
    status({ phase, reason, seconds }) {
      send.disabled = phase !== "open";
      mic.disabled = phase !== "open" || voice.mic === "stopping";
      status.replaceChildren();
      status.dataset.phase = phase;
      const why = reason ? ` ${sentence(reason)}` : "";
      if (phase === "open") wasOpen = true;
      if (phase === "connecting" && wasOpen) status.textContent = "Connecting…";
      if (phase === "closed") status.textContent = `The conversation was closed.${why}`;
      if (phase === "waiting") {
        status.append(
          `Connection lost.${why} Trying again in ${seconds} s. `,
          h("button", { type: "button", class: "link", text: "Try now", onclick: () => conversation.retryNow() }),
        );
      }
    },
  });

  // A pause in the typing hands the draft over, so the companion's memory search is done before it is sent.
  let paused = null;
  let handedOver = "";
  message.addEventListener("input", () => {
    clearTimeout(paused);
    paused = setTimeout(() => {
      const draft = message.value.trim();
      if (draft && draft !== handedOver) conversation.typing(draft);
      handedOver = draft;
    }, TYPING_PAUSE_MS);
  });

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(paused);
    handedOver = "";
    const text = message.value.trim();
    if (!text) return;
    const id = conversation.say(text);
    if (id === null) return; // not connected: the words stay in the box
    if (greeting !== null) reply(greeting); // the server answers in order: the greeting asked for comes first
    append(turnItem("user", text).item);
    reply(id);
    message.value = "";
    fit();
    toBottom();
  });
  stop.addEventListener("click", () => {
    for (const id of replies.keys()) conversation.cancel(id);
  });

  // -- talking out loud ---------------------------------------------------------------------------------

  const voice = new Voice(conversation, () => {
    mic.setAttribute("aria-pressed", String(voice.mic === "starting" || voice.mic === "on"));
    mic.disabled = !conversation.isOpen || voice.mic === "stopping";
    const speaking = voice.speaking && voice.mic !== "off";
    listening.dataset.state = speaking ? "speaking" : voice.mic;
    listening.textContent = {
      off: "",
      starting: "Getting the microphone ready…",
      on: speaking ? `${name} is speaking. Just talk to interrupt.` : "Listening. Talk whenever you like.",
      stopping: speaking ? `Microphone off. ${name} is finishing.` : "Microphone off.",
    }[voice.mic];
    if (voice.mic === "on") suggestHeadphones();
  });
  mic.addEventListener("click", () => {
    if (voice.mic === "off") voice.start().catch((error) => note(error.message));
    else voice.stop();
  });

  /** The words heard were not a turn after all (a cough, an "mm-hm"), or the session is over. */
  function unheard() {
    hearing?.item.remove();
    hearing = null;
  }

  function suggestHeadphones() {
    try {
      if (localStorage.getItem(HEADPHONES)) return;
      localStorage.setItem(HEADPHONES, "yes");
    } catch {
      return; // the browser keeps nothing for this site: better no tip than the same one every time
    }
    note(`Tip: wear headphones, so that your microphone doesn't pick up ${name}'s voice.`);
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  }

  function toBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  const online = () => conversation.retryNow();
  window.addEventListener("online", online);
  loadEarlier().then(() => left || conversation.open());
  if (window.matchMedia("(pointer: fine)").matches) message.focus();

  return () => {
    left = true;
    window.removeEventListener("online", online);
    voice.close();
    conversation.close();
  };
}

function cutOff() {
  return h("p", { class: "cut", text: "— cut off" });
}
