// AVX-512 variant of ../../../shared/bench/fma_peak.c (same loop, zmm registers, 16 floats per FMA):
// gcc -O3 -march=native -fopenmp fma_peak_avx512.c -o fma_peak_avx512 && OMP_NUM_THREADS=2 ./fma_peak_avx512
// Measured fp32 FMA peak: 12 independent zmm FMA chains per thread (AVX-512F).
#include <immintrin.h>
#include <stdio.h>
#include <omp.h>
#define ITERS 200000000L
int main(void){
  int nt = omp_get_max_threads();
  double best = 0;
  for (int rep=0; rep<5; rep++){
    float sink = 0;
    double t0 = omp_get_wtime();
    #pragma omp parallel reduction(+:sink)
    {
      __m512 a=_mm512_set1_ps(0.999999f), b=_mm512_set1_ps(1e-7f);
      volatile float init[12]={0,1,2,3,4,5,6,7,8,9,10,11};
      __m512 c0=_mm512_set1_ps(init[0]),c1=_mm512_set1_ps(init[1]),c2=_mm512_set1_ps(init[2]),c3=_mm512_set1_ps(init[3]),c4=_mm512_set1_ps(init[4]),c5=_mm512_set1_ps(init[5]),c6=_mm512_set1_ps(init[6]),c7=_mm512_set1_ps(init[7]),c8=_mm512_set1_ps(init[8]),c9=_mm512_set1_ps(init[9]),c10=_mm512_set1_ps(init[10]),c11=_mm512_set1_ps(init[11]);
      for(long i=0;i<ITERS/10;i++){
        c0=_mm512_fmadd_ps(a,c0,b);c1=_mm512_fmadd_ps(a,c1,b);c2=_mm512_fmadd_ps(a,c2,b);c3=_mm512_fmadd_ps(a,c3,b);
        c4=_mm512_fmadd_ps(a,c4,b);c5=_mm512_fmadd_ps(a,c5,b);c6=_mm512_fmadd_ps(a,c6,b);c7=_mm512_fmadd_ps(a,c7,b);
        c8=_mm512_fmadd_ps(a,c8,b);c9=_mm512_fmadd_ps(a,c9,b);c10=_mm512_fmadd_ps(a,c10,b);c11=_mm512_fmadd_ps(a,c11,b);
      }
      __m512 s=_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0,c1),_mm512_add_ps(c2,c3)),_mm512_add_ps(_mm512_add_ps(c4,c5),_mm512_add_ps(c6,c7)));
      s=_mm512_add_ps(s,_mm512_add_ps(_mm512_add_ps(c8,c9),_mm512_add_ps(c10,c11)));
      float o[16]; _mm512_storeu_ps(o,s); sink+=o[0];
    }
    double t=omp_get_wtime()-t0;
    double flops = (double)nt*(ITERS/10)*12*16*2;
    double g = flops/t/1e9; if(g>best)best=g;
    if(sink==12345.f)printf("x");
  }
  printf("threads=%d measured fp32 FMA peak: %.1f GFLOP/s (%.1f per core) => %.2f GHz effective at 64 flop/cycle\n", nt, best, best/nt, best/nt/64);
  return 0;
}
