// The microphone's sound for the server, on the audio thread (voice.js loads it): mono, taken down from the
// context's rate to `rate` (each new sample is the mean of the samples it covers, which also keeps out most
// of what the lower rate cannot hold), as little-endian 16-bit PCM in frames of `frame` samples, posted to the
// page as ArrayBuffers. The message "stop" ends it.

class Capture extends AudioWorkletProcessor {
  constructor({ processorOptions: { rate, frame } }) {
    super();
    this.step = sampleRate / rate; // samples in per sample out
    this.left = this.step; // samples in still to take for the next sample out
    this.sum = 0;
    this.count = 0;
    this.size = frame;
    this.frame = new DataView(new ArrayBuffer(frame * 2));
    this.filled = 0;
    this.stopped = false;
    this.port.onmessage = () => {
      this.stopped = true;
    };
  }

  process([input]) {
    for (const sample of input[0] ?? []) {
      this.sum += sample;
      this.count += 1;
      this.left -= 1;
      if (this.left <= 0) {
        this.#take(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
        this.left += this.step;
      }
    }
    return !this.stopped;
  }

  #take(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.frame.setInt16(this.filled * 2, Math.round(clipped < 0 ? clipped * 32768 : clipped * 32767), true);
    this.filled += 1;
    if (this.filled === this.size) {
      const { buffer } = this.frame;
      this.port.postMessage(buffer, [buffer]);
      this.frame = new DataView(new ArrayBuffer(this.size * 2));
      this.filled = 0;
    }
  }
}

registerProcessor("capture", Capture);
