package results

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeHistory(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Epoch
		err      string
	}{
		{name: "header only", in: "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"},
		{name: "reordered columns", in: "seconds,epoch,val_accuracy,val_loss,accuracy,loss\n2.5,1,0.5,1.25,0.25,2\n",
			want: []Epoch{{Epoch: 1, Loss: 2, Accuracy: 0.25, ValLoss: 1.25, ValAccuracy: 0.5, Seconds: 2.5}}},
		{name: "NaN loss", in: "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,NaN,0,+Inf,0,1\n"},
		{name: "empty", in: "", err: "1:1: empty file; want the header epoch,loss,accuracy,val_loss,val_accuracy,seconds"},
		{name: "unknown column", in: "epoch,loss,acc\n", err: `1:12: unknown column "acc"; valid columns: epoch, loss`},
		{name: "missing column", in: "epoch,loss\n", err: `1:1: missing column "accuracy"`},
		{name: "duplicate column", in: "epoch,epoch\n", err: `1:7: column "epoch" appears twice`},
		{name: "bad epoch", in: "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1.5,0,0,0,0,0\n", err: `2:1: epoch "1.5" is not a whole number`},
		{name: "bad number", in: "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,0,0,0,0,soon\n", err: `2:11: seconds "soon" is not a number`},
		{name: "short row", in: "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,0\n", err: "2:1: wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeHistory([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "NaN loss" {
				if len(got) != 1 || got[0].Loss == got[0].Loss || got[0].ValLoss < 1e308 {
					t.Errorf("got %+v, want NaN loss and +Inf val_loss", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeHistory(f *testing.F) {
	f.Add([]byte("epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,2.1,0.25,1.9,0.31,12.5\n"))
	f.Add([]byte("seconds,epoch,val_accuracy,val_loss,accuracy,loss\n2.5,1,0.5,1.25,0.25,2\n"))
	f.Add([]byte("epoch,loss\n\"1,2\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHistory(data)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to a history that parses the same.
		again, err := DecodeHistory(EncodeHistory(h))
		if err != nil {
			t.Fatalf("re-encoded history does not parse: %v", err)
		}
		if len(again) != len(h) {
			t.Fatalf("re-encoded history has %d epochs, want %d", len(again), len(h))
		}
		for i := range h {
			if again[i].Epoch != h[i].Epoch || FormatFloat(again[i].Loss) != FormatFloat(h[i].Loss) {
				t.Fatalf("epoch %d changed: %+v -> %+v", i, h[i], again[i])
			}
		}
	})
}

// FuzzDecodeRunFiles feeds config.yaml and metrics.json parsers arbitrary
// bytes: they must never panic, and what they accept must write back.
func FuzzDecodeRunFiles(f *testing.F) {
	f.Add([]byte("id: r1\nsweeps: [a]\ndataset: cifar10\n\"n\": 5000\nl1: 0.0001\nhash: abc\n"),
		[]byte(`{"run_id": "r1", "hash": "abc", "metrics": {"test": {"loss": 0}}, "nonfinite": {"metrics.test.loss": "NaN"}}`))
	f.Add([]byte("arch: {layers: [{kind: conv2d, filters: 8}]}\n"), []byte(`{"metrics": {"test": {"report": {"classes": [{"f1": 1}]}}}, "nonfinite": {"metrics.test.report.classes.0.f1": "-Inf"}}`))
	f.Add([]byte("id: [\n"), []byte("{"))
	f.Fuzz(func(t *testing.T, cfgData, metData []byte) {
		cfg, cerr := decodeConfig(cfgData)
		met, merr := decodeMetrics(metData)
		if cerr != nil || merr != nil {
			return
		}
		rec := &Record{Run: cfg.Run, Hash: met.Hash, Metrics: met.Metrics, Provenance: met.Provenance}
		if err := WriteRunFiles(t.TempDir(), rec); err != nil {
			t.Fatalf("accepted files do not write back: %v", err)
		}
	})
}
