#version 100
// Text: each glyph quad samples the bitmap font's coverage (an alpha-only
// texture, sampled NEAREST so the pixels stay crisp at any integer scale).
precision mediump float;
uniform sampler2D font;
varying vec2 v_texcoord;
varying vec4 v_color;

void main() {
    gl_FragColor = v_color * texture2D(font, v_texcoord).a;
}
