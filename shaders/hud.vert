#version 100
// The HUD's one vertex shader. The painter sends positions in buffer pixels
// with the origin at the top left, as the layout computes them; GL's
// framebuffer row 0 is the buffer's first row in memory, which the scene
// shows at the top, so no flip is needed.
uniform vec2 buffer_size;
attribute vec2 position;
attribute vec2 texcoord;
attribute vec4 color; // premultiplied alpha
varying vec2 v_texcoord;
varying vec4 v_color;

void main() {
    v_texcoord = texcoord;
    v_color = color;
    gl_Position = vec4(position / buffer_size * 2.0 - 1.0, 0.0, 1.0);
}
