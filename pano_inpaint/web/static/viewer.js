// A 360 viewer in one WebGL2 fragment shader: every screen pixel looks along a direction of an
// upright pinhole camera and samples the equirectangular image there.
//
// The maths is pano_inpaint/geometry/perspective.py's view_pixel_to_xyz, on the conventions of
// pano_inpaint/geometry/conventions.py: x right, y up, z forward; lon = atan2(x, z) with lon 0
// at the image's centre column; lat = asin(y) with +90 degrees at the top row; the camera turns
// by R = Ry(yaw) Rx(pitch). Viewport point (x, y), from the top-left corner with pixel centres
// at +0.5, looks along R ((x - w/2) / f, (h/2 - y) / f, 1) with f = (h/2) / tan(fov/2).
// The page's brush strokes are sent in the same viewport coordinates, and the server maps them
// back to equirectangular pixels with the inverse of that map.

const VERTEX = `#version 300 es
in vec2 corner;
void main() { gl_Position = vec4(corner, 0.0, 1.0); }`;

const FRAGMENT = `#version 300 es
precision highp float;
uniform sampler2D before;
uniform sampler2D after;
uniform sampler2D hole;
uniform mat3 rotation;     // camera -> panorama directions
uniform vec2 size;         // drawing buffer, device pixels
uniform float focal;       // device pixels
uniform int mode;          // 0 before, 1 after, 2 split
uniform float split;       // split position, fraction of the width
uniform float holeAlpha;   // 0 hides the mask
out vec4 colour;
const float PI = 3.14159265358979;
void main() {
  vec2 p = vec2(gl_FragCoord.x, size.y - gl_FragCoord.y);  // from the top-left corner
  vec3 d = normalize(rotation * vec3((p.x - 0.5 * size.x) / focal,
                                     (0.5 * size.y - p.y) / focal, 1.0));
  float lon = atan(d.x, d.z);
  float lat = asin(clamp(d.y, -1.0, 1.0));
  vec2 uv = vec2(lon / (2.0 * PI) + 0.5, 0.5 - lat / PI);  // texel centres as the ERP's
  bool showAfter = mode == 1 || (mode == 2 && p.x >= split * size.x);
  vec3 c = showAfter ? texture(after, uv).rgb : texture(before, uv).rgb;
  if (!showAfter && texture(hole, uv).r > 0.5) c = mix(c, vec3(1.0, 0.1, 0.1), holeAlpha);
  if (mode == 2 && abs(p.x - split * size.x) < 1.0) c = vec3(1.0);
  colour = vec4(c, 1.0);
}`;

function rotationMatrix(yawDeg, pitchDeg) {
  // R = Ry(yaw) Rx(pitch) as in pano_inpaint.geometry.rotation.rotation_matrix (no roll).
  const y = (yawDeg * Math.PI) / 180, p = (pitchDeg * Math.PI) / 180;
  const cy = Math.cos(y), sy = Math.sin(y), cp = Math.cos(p), sp = Math.sin(p);
  const r = [
    [cy, -sy * sp, sy * cp],
    [0, cp, sp],
    [-sy, -cy * sp, cy * cp],
  ];
  // Column-major for WebGL.
  return new Float32Array([r[0][0], r[1][0], r[2][0], r[0][1], r[1][1], r[2][1],
                           r[0][2], r[1][2], r[2][2]]);
}

export class PanoViewer {
  constructor(canvas) {
    this.canvas = canvas;
    const gl = canvas.getContext("webgl2", { antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error("this browser has no WebGL2: the 360 viewer cannot run");
    this.gl = gl;
    this.view = { yaw: 0, pitch: 0, fov: 100 };
    this.mode = 0;
    this.split = 0.5;
    this.holeAlpha = 0.45;
    this.program = this.#program();
    this.pending = false;
    this.clear();
    new ResizeObserver(() => this.render()).observe(canvas);
  }

  #program() {
    const gl = this.gl;
    const compile = (type, source) => {
      const shader = gl.createShader(type);
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
        throw new Error(gl.getShaderInfoLog(shader));
      }
      return shader;
    };
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(gl.getProgramInfoLog(program));
    }
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
    const corner = gl.getAttribLocation(program, "corner");
    gl.enableVertexAttribArray(corner);
    gl.vertexAttribPointer(corner, 2, gl.FLOAT, false, 0, 0);
    return program;
  }

  #texture(rgba, filter) {
    const gl = this.gl;
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 1, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE,
                  new Uint8Array(rgba));
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.REPEAT);  // the wrap-around line
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
    return texture;
  }

  async #upload(name, url, grey) {
    const image = new Image();
    image.src = url;
    await image.decode();
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, this.textures[name]);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    if (grey) {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, gl.RED, gl.UNSIGNED_BYTE, image);
    } else {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, image);
    }
    this.render();
  }

  // Nothing to show: a plain grey sphere.
  clear() {
    const gl = this.gl;
    for (const texture of Object.values(this.textures || {})) gl.deleteTexture(texture);
    this.textures = {
      before: this.#texture([60, 60, 60, 255], gl.LINEAR),
      after: this.#texture([60, 60, 60, 255], gl.LINEAR),
      hole: this.#texture([0, 0, 0, 255], gl.NEAREST),
    };
    this.hasAfter = false;
    this.mode = 0;
    this.render();
  }

  setImage(url) { return this.#upload("before", url, false); }
  setMask(url) { return this.#upload("hole", url, true); }

  async setAfter(url) {
    if (url) await this.#upload("after", url, false);
    this.hasAfter = Boolean(url);
    if (!this.hasAfter) this.setMode(0);
  }

  setMode(mode) {
    this.mode = this.hasAfter ? mode : 0;
    this.render();
  }

  setView(view) {
    Object.assign(this.view, view);
    this.view.pitch = Math.max(-90, Math.min(90, this.view.pitch));
    this.view.fov = Math.max(20, Math.min(140, this.view.fov));
    this.view.yaw = ((((this.view.yaw + 180) % 360) + 360) % 360) - 180;
    this.render();
  }

  // Turn the view by a drag of (dx, dy) CSS pixels: the scene follows the pointer.
  drag(dx, dy) {
    const f = this.focalCss();
    const deg = 180 / Math.PI;
    this.setView({ yaw: this.view.yaw - (dx / f) * deg, pitch: this.view.pitch + (dy / f) * deg });
  }

  focalCss() {
    return this.canvas.clientHeight / 2 / Math.tan((this.view.fov * Math.PI) / 360);
  }

  // The view as the server needs it to map a stroke: degrees and CSS pixels.
  viewParams() {
    return { ...this.view, width: this.canvas.clientWidth, height: this.canvas.clientHeight };
  }

  render() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const gl = this.gl, canvas = this.canvas;
    const scale = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * scale));
    const height = Math.max(1, Math.round(canvas.clientHeight * scale));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    gl.viewport(0, 0, width, height);
    gl.useProgram(this.program);
    const set = (name) => gl.getUniformLocation(this.program, name);
    ["before", "after", "hole"].forEach((name, unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, this.textures[name]);
      gl.uniform1i(set(name), unit);
    });
    gl.uniformMatrix3fv(set("rotation"), false, rotationMatrix(this.view.yaw, this.view.pitch));
    gl.uniform2f(set("size"), width, height);
    gl.uniform1f(set("focal"), height / 2 / Math.tan((this.view.fov * Math.PI) / 360));
    gl.uniform1i(set("mode"), this.mode);
    gl.uniform1f(set("split"), this.split);
    gl.uniform1f(set("holeAlpha"), this.holeAlpha);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }
}
