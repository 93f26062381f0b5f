// The HUD on the GPU, with fencecam's own GLSL ES shaders (shaders/, built
// into the binary as shaders.hpp), drawn with wlroots' own EGL context into
// buffers from the output's allocator.
//
// Drawing into a wlroots renderer's context from outside a render pass is
// fine as long as it is brief and tidy: make the context current
// (egl_current_context.hpp), draw, and put every piece of GL state back the
// way wlroots expects it (no program, texture, framebuffer or vertex arrays
// bound, blending off).
#include <array>
#include <vector>

#include <drm_fourcc.h>

#include "bitmap_font.hpp"
#include "egl_current_context.hpp"
#include "hud_painter.hpp"
#include "owned.hpp"
#include "shaders.hpp"

namespace fencecam {

namespace {

// Both programs share the vertex shader and this vertex layout, bound to
// fixed attribute locations.
struct Vertex {
    float x, y; // buffer pixels
    float u, v; // font texture coordinates (text only)
    float r, g, b, a;
};
constexpr GLuint position_location = 0;
constexpr GLuint texcoord_location = 1;
constexpr GLuint color_location = 2;

// The first line of a shader's or program's info log: enough to say what
// is wrong in one log line.
std::string first_line(std::string log) {
    log = log.substr(0, log.find('\n'));
    return log.empty() ? "no details" : log;
}

GLuint compile(GLenum type, const char *source, const char *name, std::string &error) {
    GLuint shader = glCreateShader(type);
    glShaderSource(shader, 1, &source, nullptr);
    glCompileShader(shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[512] = {};
        glGetShaderInfoLog(shader, sizeof log, nullptr, log);
        error = std::string("shader ") + name + " does not compile: " + first_line(log);
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}

GLuint link(const char *fragment_source, const char *fragment_name, std::string &error) {
    GLuint vertex = compile(GL_VERTEX_SHADER, shaders::hud_vert, "hud.vert", error);
    GLuint fragment =
        vertex ? compile(GL_FRAGMENT_SHADER, fragment_source, fragment_name, error) : 0;
    if (!fragment) {
        glDeleteShader(vertex);
        return 0;
    }
    GLuint program = glCreateProgram();
    glAttachShader(program, vertex);
    glAttachShader(program, fragment);
    glBindAttribLocation(program, position_location, "position");
    glBindAttribLocation(program, texcoord_location, "texcoord");
    glBindAttribLocation(program, color_location, "color");
    glLinkProgram(program);
    // The program keeps what it needs; the shader objects can go.
    glDeleteShader(vertex);
    glDeleteShader(fragment);
    GLint ok = GL_FALSE;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[512] = {};
        glGetProgramInfoLog(program, sizeof log, nullptr, log);
        error =
            std::string("shaders hud.vert + ") + fragment_name + " do not link: " + first_line(log);
        glDeleteProgram(program);
        return 0;
    }
    return program;
}

void add_quad(std::vector<Vertex> &vertices, float x0, float y0, float x1, float y1, float u0,
              float v0, float u1, float v1, const HudColor &c) {
    // Two triangles: GLES2 has no quads.
    vertices.insert(vertices.end(), {
                                        {x0, y0, u0, v0, c.r, c.g, c.b, c.a},
                                        {x1, y0, u1, v0, c.r, c.g, c.b, c.a},
                                        {x0, y1, u0, v1, c.r, c.g, c.b, c.a},
                                        {x1, y0, u1, v0, c.r, c.g, c.b, c.a},
                                        {x1, y1, u1, v1, c.r, c.g, c.b, c.a},
                                        {x0, y1, u0, v1, c.r, c.g, c.b, c.a},
                                    });
}

class Gles2HudPainter : public HudPainter {
  public:
    Gles2HudPainter(wlr_renderer *renderer, wlr_egl *egl)
        : renderer_(renderer)
        , egl_(egl) {}
    ~Gles2HudPainter() override;

    bool init(wlr_allocator *allocator, std::string &error);
    wlr_buffer *paint(const HudDrawList &list) override;

  private:
    void draw(GLuint program, const std::vector<Vertex> &vertices, const HudDrawList &list);

    wlr_renderer *renderer_;
    wlr_egl *egl_;
    GLuint solid_program_ = 0;
    GLuint text_program_ = 0;
    GLuint font_texture_ = 0;
    int font_width_ = 1;
    // A few buffers that the HUD cycles through: acquire hands out one that
    // neither the scene nor KMS holds any more (see wlr_swapchain_acquire).
    Owned<wlr_swapchain, wlr_swapchain_destroy> swapchain_;
};

bool Gles2HudPainter::init(wlr_allocator *allocator, std::string &error) {
    // ARGB8888, for the HUD's translucent panel, in whatever layout the
    // driver likes to render into (the implicit modifier); whether it can is
    // checked right below, by binding one buffer as a framebuffer.
    uint64_t implicit = DRM_FORMAT_MOD_INVALID;
    wlr_drm_format format = {};
    format.format = DRM_FORMAT_ARGB8888;
    format.len = 1;
    format.capacity = 1;
    format.modifiers = &implicit;
    swapchain_.reset(wlr_swapchain_create(allocator, hud_width, hud_height, &format));
    wlr_buffer *probe = swapchain_ ? wlr_swapchain_acquire(swapchain_.get()) : nullptr;
    GLuint fbo = probe ? wlr_gles2_renderer_get_buffer_fbo(renderer_, probe) : 0;
    if (probe) {
        wlr_buffer_unlock(probe);
    }
    if (!fbo) {
        error = "the allocator's ARGB8888 buffers cannot be drawn into with GLES2";
        return false;
    }

    CurrentContext current(egl_);
    if (!current) {
        error = "cannot make the renderer's EGL context current";
        return false;
    }
    solid_program_ = link(shaders::hud_solid_frag, "hud_solid.frag", error);
    text_program_ = solid_program_ ? link(shaders::hud_text_frag, "hud_text.frag", error) : 0;
    if (!text_program_) {
        return false;
    }
    // Uniforms stay with their program: the text shader samples unit 0.
    glUseProgram(text_program_);
    glUniform1i(glGetUniformLocation(text_program_, "font"), 0);
    glUseProgram(0);

    // The font, uploaded once: one byte of coverage a pixel. Rows of the
    // atlas are not 4-byte aligned, hence the unpack alignment of 1.
    font::Atlas atlas = font::make_atlas();
    font_width_ = atlas.width;
    glGenTextures(1, &font_texture_);
    glBindTexture(GL_TEXTURE_2D, font_texture_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_ALPHA, atlas.width, atlas.height, 0, GL_ALPHA,
                 GL_UNSIGNED_BYTE, atlas.alpha.data());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glBindTexture(GL_TEXTURE_2D, 0);
    return true;
}

Gles2HudPainter::~Gles2HudPainter() {
    CurrentContext current(egl_);
    glDeleteProgram(solid_program_);
    glDeleteProgram(text_program_);
    glDeleteTextures(1, &font_texture_);
}

wlr_buffer *Gles2HudPainter::paint(const HudDrawList &list) {
    wlr_buffer *buffer = wlr_swapchain_acquire(swapchain_.get());
    if (!buffer) {
        return nullptr;
    }
    CurrentContext current(egl_);
    GLuint fbo = current ? wlr_gles2_renderer_get_buffer_fbo(renderer_, buffer) : 0;
    if (!fbo) {
        wlr_buffer_unlock(buffer);
        return nullptr;
    }

    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glViewport(0, 0, list.width, list.height);
    glDisable(GL_SCISSOR_TEST);
    glClearColor(0, 0, 0, 0);
    glClear(GL_COLOR_BUFFER_BIT);
    // Premultiplied alpha, as wlroots blends.
    glEnable(GL_BLEND);
    glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);

    std::vector<Vertex> vertices;
    for (const HudRect &rect : list.rects) {
        add_quad(vertices, float(rect.x), float(rect.y), float(rect.x + rect.width),
                 float(rect.y + rect.height), 0, 0, 0, 0, rect.color);
    }
    draw(solid_program_, vertices, list);

    vertices.clear();
    for (const HudGlyph &glyph : list.glyphs) {
        float u0 = float(glyph.glyph * font::advance) / float(font_width_);
        float u1 = u0 + float(font::glyph_width) / float(font_width_);
        add_quad(vertices, float(glyph.x), float(glyph.y),
                 float(glyph.x + font::glyph_width * glyph.scale),
                 float(glyph.y + font::glyph_height * glyph.scale), u0, 0, u1, 1, glyph.color);
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, font_texture_);
    draw(text_program_, vertices, list);

    glBindTexture(GL_TEXTURE_2D, 0);
    glUseProgram(0);
    glDisable(GL_BLEND);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    // The scene reads this buffer through a texture of its own, or KMS
    // scans it out; GL orders neither after this draw, so wait for it. A
    // 320x120 draw ten times a second makes the wait negligible.
    glFinish();
    return buffer;
}

void Gles2HudPainter::draw(GLuint program, const std::vector<Vertex> &vertices,
                           const HudDrawList &list) {
    glUseProgram(program);
    glUniform2f(glGetUniformLocation(program, "buffer_size"), float(list.width),
                float(list.height));
    // Client-side vertex arrays, as wlroots' own renderer uses: no buffer
    // object to create, or to leave bound behind its back.
    const auto *base = reinterpret_cast<const char *>(vertices.data());
    glVertexAttribPointer(position_location, 2, GL_FLOAT, GL_FALSE, sizeof(Vertex),
                          base + offsetof(Vertex, x));
    glVertexAttribPointer(texcoord_location, 2, GL_FLOAT, GL_FALSE, sizeof(Vertex),
                          base + offsetof(Vertex, u));
    glVertexAttribPointer(color_location, 4, GL_FLOAT, GL_FALSE, sizeof(Vertex),
                          base + offsetof(Vertex, r));
    for (GLuint location : {position_location, texcoord_location, color_location}) {
        glEnableVertexAttribArray(location);
    }
    glDrawArrays(GL_TRIANGLES, 0, GLsizei(vertices.size()));
    for (GLuint location : {position_location, texcoord_location, color_location}) {
        glDisableVertexAttribArray(location);
    }
}

} // namespace

std::unique_ptr<HudPainter> create_gles2_hud_painter(wlr_renderer *renderer,
                                                     wlr_allocator *allocator, std::string &error) {
    auto painter =
        std::make_unique<Gles2HudPainter>(renderer, wlr_gles2_renderer_get_egl(renderer));
    if (!painter->init(allocator, error)) {
        return nullptr;
    }
    return painter;
}

} // namespace fencecam
