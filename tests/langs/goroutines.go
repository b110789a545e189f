// --linux test program (tests/integration/linux_langs.sh): 16 goroutines over GOMAXPROCS 4 (several OS threads, seen in /proc/self/task), then os/exec runs this program again as a child that exits 5.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		fmt.Println("go child")
		os.Exit(5)
	}
	runtime.GOMAXPROCS(4)
	var wg sync.WaitGroup
	sums := make(chan int, 16)
	for g := 1; g <= 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := 0
			for i := 0; i < 1000000; i++ {
				s += i % g
			}
			sums <- s
		}(g)
	}
	wg.Wait()
	close(sums)
	total := 0
	for s := range sums {
		total += s
	}
	out, err := exec.Command(os.Args[0], "child").Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	tasks, _ := os.ReadDir("/proc/self/task")
	fmt.Printf("goroutines %d threads>1 %v child %d said %s", total, len(tasks) > 1, code, out)
}
