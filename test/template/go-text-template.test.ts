import { describe, expect, it } from "vitest";
import { executeTemplate, GO_STRING, goMap, parseTemplate, TemplateError } from "../../src/template/index.js";

const run = (text: string, data: unknown = {}): string =>
  executeTemplate(parseTemplate("commit", text), data);

const data = {
  Name: "app",
  Tags: ["v1", "v2", "v3"],
  Empty: [] as string[],
  Values: goMap(
    [
      ["zeta", "z"],
      ["alpha", "a"],
      ["Beta", "b"],
    ],
    "",
  ),
  Obj: { Namespace: "flux-system", Name: "vote" },
  Ref: { Namespace: "ns", Name: "n", [GO_STRING]: () => "ns/n" },
  N: 3,
  F: 1.5,
  T: true,
};

describe("Go text/template execution", () => {
  it.each([
    ["fields and text", "hello {{ .Name }}!", "hello app!"],
    ["trim markers", "a  {{- .Name -}}  b", "aappb"],
    ["comments", "x{{/* note */}}y{{- /* trimmed */ -}} z", "xyz"],
    ["range slice with index", "{{ range $i, $t := .Tags }}{{ $i }}={{ $t }};{{ end }}", "0=v1;1=v2;2=v3;"],
    ["range one variable is the element", "{{ range $t := .Tags }}{{ $t }}{{ end }}", "v1v2v3"],
    [
      "range map in sorted byte order",
      "{{ range $k, $v := .Values }}{{ $k }}:{{ $v }} {{ end }}",
      "Beta:b alpha:a zeta:z ",
    ],
    ["range else", "{{ range .Empty }}x{{ else }}none{{ end }}", "none"],
    [
      "break and continue",
      '{{ range .Tags }}{{ if eq . "v2" }}{{ continue }}{{ end }}{{ if eq . "v3" }}{{ break }}{{ end }}{{ . }}{{ end }}',
      "v1",
    ],
    ["range over int", "{{ range 3 }}{{ . }}{{ end }}", "012"],
    ["if / else if / else", "{{ if eq .N 1 }}one{{ else if eq .N 3 }}three{{ else }}other{{ end }}", "three"],
    [
      "with / else",
      "{{ with .Obj }}{{ .Name }}{{ end }}{{ with .Empty }}x{{ else }}empty{{ end }}",
      "voteempty",
    ],
    ["variables and assignment", "{{ $x := 1 }}{{ range .Tags }}{{ $x = . }}{{ end }}{{ $x }}", "v3"],
    ["root variable inside range", "{{ range .Tags }}{{ $.Name }}{{ end }}", "appappapp"],
    ["define and template", '{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" .Name }}', "[app]"],
    ["block", '{{ block "b" .N }}<{{ . }}>{{ end }}', "<3>"],
    ["pipelines and parentheses", '{{ .Name | upper | printf "%s!" }} {{ (len .Tags) }}', "APP! 3"],
    ["missing map key prints <no value>", "{{ .Values.nope }}", "<no value>"],
    ["index on missing key gives the zero value", '[{{ index .Values "nope" }}]', "[]"],
    [
      "Go printing of values",
      "{{ .Tags }} {{ .Obj }} {{ .Values }} {{ .F }} {{ .T }}",
      "[v1 v2 v3] {flux-system vote} map[Beta:b alpha:a zeta:z] 1.5 true",
    ],
    ["Stringer structs print via String()", "{{ .Ref }} {{ .Ref.Name }}", "ns/n n"],
    [
      "printf verbs",
      '{{ printf "%s %d %v %q %x %5s|%-4d|" "a" 42 .Tags "q" "hi" "r" 7 }}',
      'a 42 [v1 v2 v3] "q" 6869     r|7   |',
    ],
    [
      "printf %+v and missing args",
      '{{ printf "%+v %s" .Obj }}',
      "{Namespace:flux-system Name:vote} %!s(MISSING)",
    ],
    ["print and println", '{{ print 1 2 "a" "b" }}|{{ println "x" 1 }}', "1 2ab|x 1\n"],
    ["and/or return the deciding value", '{{ and 1 "" 3 }}|{{ or "" "b" }}|{{ not .T }}', "|b|false"],
    [
      "comparisons",
      '{{ lt 1 2 }} {{ ge "b" "a" }} {{ ne .Name "x" }} {{ eq .N 1 2 3 }}',
      "true true true true",
    ],
    [
      "html js urlquery",
      '{{ html "<a&b>" }} {{ js "it\'s" }} {{ urlquery "a b&c" }}',
      "&lt;a&amp;b&gt; it\\'s a+b%26c",
    ],
    ["slice and index", '{{ slice .Tags 1 }} {{ slice "hello" 1 3 }} {{ index .Tags 2 }}', "[v2 v3] el v3"],
    ["raw strings and char constants", "{{ `a\\nb` }} {{ 'x' }}", "a\\nb 120"],
  ])("%s", (_name, text, expected) => {
    expect(run(text, data)).toBe(expected);
  });
});

describe("Sprig functions", () => {
  it.each([
    ['{{ "  x " | trim }}|{{ "v1.2" | trimPrefix "v" }}|{{ "a.yaml" | trimSuffix ".yaml" }}', "x|1.2|a"],
    ['{{ "Ab" | upper }}{{ "Ab" | lower }} {{ "hello world" | title }}', "ABab Hello World"],
    [
      '{{ "a-b-c" | replace "-" "_" }} {{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "c" "abc" }}',
      "a_b_c true true true",
    ],
    [
      '{{ join ", " .Tags }} {{ (split ":" "img:tag")._1 }} {{ splitList "/" "a/b" }}',
      "v1, v2, v3 tag [a b]",
    ],
    ['{{ list "b" "a" "b" | uniq | sortAlpha }} {{ keys .Values | sortAlpha }}', "[a b] [Beta alpha zeta]"],
    ['{{ $d := dict "k" "v" }}{{ $d.k }} {{ .Missing | default "dflt" }} {{ empty "" }}', "v dflt true"],
    [
      '{{ quote "a" }} {{ squote "b" }} {{ toString 5 }} {{ toJson .Obj }}',
      '"a" \'b\' 5 {"Namespace":"flux-system","Name":"vote"}',
    ],
    ['{{ "a\\nb" | indent 2 }}|{{ "c" | nindent 2 }}', "  a\n  b|\n  c"],
    [
      '{{ first .Tags }} {{ last .Tags }} {{ trunc 3 "abcdef" }} {{ repeat 2 "ab" }} {{ substr 1 3 "abcd" }}',
      "v1 v3 abc abab bc",
    ],
  ])("%s", (text, expected) => {
    expect(run(text, { ...data, Missing: goMap([], "") })).toBe(expected);
  });
});

// A pipe with no command after it. Go's parser ends a command at a "|" without asking for another
// one, so Go accepts a trailing pipe and runs the pipeline without it: checked against go1.19's
// text/template (`template.New("commit").Parse`, then Execute with X="x", Y="y"), and the same code
// path is in Go's current parse.go (pipeline/command). A pipe where a command must start is an error.
describe("pipes without a command, as Go's parser takes them", () => {
  it.each([
    ["{{ .Name | }}", "app"],
    ["{{ .Name |}}", "app"],
    ['{{ .Name | printf "%s!" | }}', "app!"],
    ["{{ (.Name | ) }}", "app"],
    ["{{ if .Name | }}yes{{ end }}", "yes"],
  ])("%j renders as without the trailing pipe", (text, expected) => {
    expect(run(text, data)).toBe(expected);
  });

  it.each([
    ["{{ | .Name }}", 'template: commit:1: unexpected "|" in command'],
    ["{{ .Name | | .N }}", 'template: commit:1: unexpected "|" in command'],
    ["a\nb\n{{ .Name | | .N }}", 'template: commit:3: unexpected "|" in command'],
    ['{{ printf "%s" ( | .Name ) }}', 'template: commit:1: unexpected "|" in parenthesized pipeline'],
  ])("%j is a parse error worded as Go's", (text, message) => {
    let err: unknown;
    try {
      parseTemplate("commit", text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).message).toBe(message);
  });
});

describe("template errors", () => {
  it.each([
    ["line\nline\n{{ if .X }}", /^template: commit:3: unexpected EOF$/],
    ["{{ end }}", /^template: commit:1: unexpected \{\{end\}\}$/],
    ["a\n{{ nofunc .X }}", /^template: commit:2: function "nofunc" not defined$/],
    ["{{ $y }}", /undefined variable "\$y"/],
    ["{{ .X", /unclosed action/],
    ["{{ break }}", /\{\{break\}\} outside \{\{range\}\}/],
    ["{{ }}", /missing value for command/],
    ['{{ "a" | "b" }}', /non executable command in pipeline stage 2/],
  ])("parse error for %j", (text, message) => {
    expect(() => parseTemplate("commit", text)).toThrow(TemplateError);
    expect(() => parseTemplate("commit", text)).toThrow(message);
  });

  it("names the missing struct field at execution", () => {
    expect(() => run("x\n  {{ .Obj.Nope }}", data)).toThrow(
      'template: commit:2:5: executing "commit" at <.Obj.Nope>: can\'t evaluate field Nope in type struct',
    );
  });

  it("reports wrong argument types for typed functions", () => {
    expect(() => run("{{ upper 5 }}", data)).toThrow(
      /error calling upper: wrong type for value; expected string; got int/,
    );
  });

  it("reports incompatible comparisons", () => {
    expect(() => run('{{ eq 1 "1" }}', data)).toThrow(/incompatible types for comparison/);
  });
});
