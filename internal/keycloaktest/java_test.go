package keycloaktest

import "testing"

func TestParseJavaMajor(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    int
		wantErr bool
	}{
		{
			name: "temurin 25",
			out: `openjdk version "25.0.1" 2025-10-21 LTS
OpenJDK Runtime Environment Temurin-25.0.1+8 (build 25.0.1+8-LTS)
OpenJDK 64-Bit Server VM Temurin-25.0.1+8 (build 25.0.1+8-LTS, mixed mode, sharing)`,
			want: 25,
		},
		{
			name: "debian 17",
			out: `openjdk version "17.0.16" 2025-07-15
OpenJDK Runtime Environment (build 17.0.16+8-Debian-1deb12u1)`,
			want: 17,
		},
		{name: "bare feature release", out: `openjdk version "21" 2023-09-19`, want: 21},
		{name: "early access", out: `openjdk version "26-ea" 2026-03-17`, want: 26},
		{name: "java 8 scheme", out: `java version "1.8.0_462"`, want: 8},
		{
			name: "tool options line first",
			out: `Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=UTF-8
openjdk version "17.0.2" 2022-01-18`,
			want: 17,
		},
		{name: "no version", out: "Error: could not find libjava.so", wantErr: true},
		{name: "empty", out: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJavaMajor(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseJavaMajor() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseJavaMajor() = %d, want %d", got, tt.want)
			}
		})
	}
}
