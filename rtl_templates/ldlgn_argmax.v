// ldlgn_argmax: index of the largest of K unsigned scores; ties go to the LOWEST index
// (as torch.argmax / numpy.argmax). Balanced comparator tree over LEAVES = 2**ceil(log2 K)
// leaves; missing leaves hold score 0 at indices above K-1, so they never win a tie.
// Node i of the heap-ordered tree has children 2i and 2i+1; the root is node 1.
module ldlgn_argmax #(
    parameter K = 2,        // number of classes
    parameter W = 1,        // score width
    parameter CW = 1,       // class index width
    parameter LEAVES = 2    // power of two >= K
) (
    input  wire [K*W-1:0] scores,   // class k at scores[k*W +: W]
    output wire [CW-1:0]  class_out
);
    // one net per tree node (node i: largest score below it and the lowest index holding it);
    // net arrays instead of slices of one wide vector keep event-driven simulation cheap
    // (Verilator sees the tree inside one array as a loop; it is not one: children have
    // higher node numbers than their parent. With K = 1 no score is compared at all.)
    /* verilator lint_off UNOPTFLAT */
    /* verilator lint_off UNUSED */
    wire [W-1:0]  best  [1:2*LEAVES-1];
    /* verilator lint_on UNUSED */
    wire [CW-1:0] index [1:2*LEAVES-1];
    /* verilator lint_on UNOPTFLAT */

    genvar i;
    generate
        for (i = 0; i < LEAVES; i = i + 1) begin : leaf
            localparam [CW-1:0] ID = i;
            if (i < K) begin : used
                assign best[LEAVES + i] = scores[i*W +: W];
            end else begin : padding
                assign best[LEAVES + i] = {W{1'b0}};
            end
            assign index[LEAVES + i] = ID;
        end
        for (i = 1; i < LEAVES; i = i + 1) begin : node
            // the right child covers higher indices: it wins only when strictly larger
            wire right = best[2*i + 1] > best[2*i];
            assign best[i] = right ? best[2*i + 1] : best[2*i];
            assign index[i] = right ? index[2*i + 1] : index[2*i];
        end
    endgenerate

    assign class_out = index[1];
endmodule
