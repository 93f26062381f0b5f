#version 100
// Rectangles: the panel, the graph's bars and its refresh-period line.
precision mediump float;
varying vec4 v_color;

void main() {
    gl_FragColor = v_color;
}
