// Talking out loud over the conversation's socket (docs/websocket.md, "Voice"). The microphone, taken with the
// browser's echo cancellation, goes to the server as 16 kHz 16-bit PCM in 40 ms frames (capture-worklet.js
// takes it down to that rate, on the audio thread); the companion's voice comes back as 16-bit PCM, each block
// played right after the one before, a little ahead of time so that a late block does not leave a gap, and
// all of it stopped at once when the server says the user spoke over it.
//
// The microphone is "off", "starting" (until the server says the voice is ready: sound sent before that would
// break the protocol, so it is dropped), "on", or "stopping" (off, while the companion finishes what it is
// saying). The owner is told of every change, and of whether the companion is speaking, through changed().

const RATE = 16000;
const FRAME = 640; // 40 ms at RATE
const LEAD_S = 0.08; // the companion's voice starts this far ahead of now: the jitter buffer
const QUIET_MS = 400; // nothing played for this long: the companion has stopped speaking
const WORKLET = new URL("capture-worklet.js", import.meta.url);
const CONSTRAINTS = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
};

export class Voice {
  #conversation;
  #changed;
  #mic = "off";
  #speaking = false;
  #attempt = 0; // the press being served: letting go of the microphone makes a press still waiting give up
  #session = false; // "audio.start" was sent and its "audio.end" has not come
  #context = null;
  #worklet = null; // the worklet's module loading, once per context
  #stream = null;
  #source = null;
  #capture = null;
  #rate = 0; // of the companion's voice
  #playing = new Set();
  #until = 0; // when the sound scheduled so far ends, on the context's clock
  #quiet = 0;

  constructor(conversation, changed) {
    this.#conversation = conversation;
    this.#changed = changed;
  }

  get mic() {
    return this.#mic;
  }

  get speaking() {
    return this.#speaking;
  }

  /** Take the microphone and start a voice session. Throws an Error whose message tells the user what to do. */
  async start() {
    if (this.#mic !== "off") return;
    if (!navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode) {
      throw new Error(
        "This browser can't use the microphone here: open OS1 over https (or at localhost on this computer) " +
          "in an up-to-date browser to talk out loud.",
      );
    }
    const attempt = ++this.#attempt;
    this.#context ??= new AudioContext(); // made on a press, so that it may play
    this.#set("starting");
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
      this.#worklet ??= this.#context.audioWorklet.addModule(WORKLET);
      await this.#worklet;
      await this.#context.resume();
    } catch (error) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      if (attempt !== this.#attempt) return; // turned off meanwhile
      this.#set("off");
      throw new Error(stream ? `This browser could not take the microphone's sound: ${error.message}` : refusal(error));
    }
    if (attempt !== this.#attempt) {
      for (const track of stream.getTracks()) track.stop(); // turned off while the browser was asking
      return;
    }
    this.#listen(stream);
    this.#session = this.#conversation.send({ type: "audio.start", rate: RATE, format: "pcm16" });
    if (!this.#session) {
      this.#release();
      this.#set("off");
      throw new Error("Not connected just now: press the microphone again once the conversation is back.");
    }
  }

  /** Turn the microphone off; what the companion is still saying is played to the end. */
  stop() {
    if (this.#mic === "off" || this.#mic === "stopping") return;
    this.#release();
    this.#set(this.#session && this.#conversation.send({ type: "audio.stop" }) ? "stopping" : "off");
  }

  /** "audio.format": the voice session is ready, and the companion's voice will come at this rate. */
  format({ rate }) {
    this.#rate = rate;
    if (this.#mic === "starting") this.#set("on");
  }

  /** A binary frame of the companion's voice. */
  play(data) {
    if (!this.#context || !this.#rate || data.byteLength < 2) return;
    const pcm = new DataView(data);
    const buffer = this.#context.createBuffer(1, data.byteLength >> 1, this.#rate);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i += 1) samples[i] = pcm.getInt16(i * 2, true) / 32768;
    const source = this.#context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#context.destination);
    const at = Math.max(this.#until, this.#context.currentTime + LEAD_S);
    source.start(at);
    this.#until = at + buffer.duration;
    this.#playing.add(source);
    source.addEventListener("ended", () => {
      this.#playing.delete(source);
      if (!this.#playing.size) this.#quiet = setTimeout(() => this.#hush(), QUIET_MS);
    });
    clearTimeout(this.#quiet);
    if (!this.#speaking) {
      this.#speaking = true;
      this.#changed();
    }
  }

  /** "audio.flush": the user spoke over the companion; silence it at once. */
  flush() {
    for (const source of this.#playing) source.stop();
    this.#playing.clear();
    this.#until = 0;
    this.#hush();
  }

  /** "audio.end", or an error answering "audio.start": the voice session is over. */
  ended() {
    this.#session = false;
    this.#release();
    this.#set("off");
  }

  /** The connection dropped: the session went with it. */
  dropped() {
    this.flush();
    this.ended();
  }

  /** Leaving the page. */
  close() {
    this.stop();
    this.flush();
    this.#context?.close();
    this.#context = null;
    this.#worklet = null;
  }

  #listen(stream) {
    this.#stream = stream;
    this.#source = this.#context.createMediaStreamSource(stream);
    this.#capture = new AudioWorkletNode(this.#context, "capture", {
      numberOfOutputs: 0,
      channelCount: 1,
      channelCountMode: "explicit", // a stereo microphone is mixed down to mono
      processorOptions: { rate: RATE, frame: FRAME },
    });
    this.#capture.port.onmessage = ({ data }) => {
      if (this.#mic === "on") this.#conversation.send(data);
    };
    this.#source.connect(this.#capture);
    for (const track of stream.getAudioTracks()) track.addEventListener("ended", () => this.stop()); // unplugged
  }

  /** Let go of the microphone (and make a press still waiting for it give up). */
  #release() {
    this.#attempt += 1;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#source?.disconnect();
    this.#capture?.port.postMessage("stop");
    this.#stream = this.#source = this.#capture = null;
  }

  #hush() {
    clearTimeout(this.#quiet);
    if (this.#speaking && !this.#playing.size) {
      this.#speaking = false;
      this.#changed();
    }
  }

  #set(mic) {
    if (mic === this.#mic) return;
    this.#mic = mic;
    this.#changed();
  }
}

/** What to tell the user when the microphone could not be had. */
function refusal(error) {
  if (error.name === "NotAllowedError" || error.name === "SecurityError") {
    return (
      "The microphone is blocked for this page. Allow it in the browser's site settings, then press the " +
      "microphone again; you can still type."
    );
  }
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
    return "No microphone was found. Plug one in and press the microphone again; you can still type.";
  }
  if (error.name === "NotReadableError" || error.name === "AbortError") {
    return "The microphone could not start: another app may be using it. Close it and try again.";
  }
  return `The microphone could not start (${error.message}). You can still type.`;
}
